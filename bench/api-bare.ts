/**
 * bench:api's baseline: bare Fastify (no logger, no hooks, no store), one GET route per path of ROUTES answering
 * the body the platform answered there, serialised on each request as the platform does.
 */
import Fastify from 'fastify';

const routes = JSON.parse(process.env.ROUTES!) as { path: string; body: unknown }[];
const app = Fastify();
for (const r of routes) app.get(r.path, async () => r.body);
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
