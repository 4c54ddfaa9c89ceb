import path from 'node:path';
import formbody from '@fastify/formbody';
import { WebhookVerifier, type Customer, type Product } from '@connected-cloud/client';
import Fastify from 'fastify';
import { connectPage, registerPage, shopPage } from './pages.js';
import { Shop } from './shop.js';
import { ShopStore } from './store.js';

const env = process.env;
const host = env.SHOP_HOST ?? '127.0.0.1';
const port = Number(env.SHOP_PORT ?? 8095);
const publicUrl = (env.SHOP_PUBLIC_URL ?? `http://${host}:${port}`).replace(/\/+$/, '');
const platformUrl = env.SHOP_PLATFORM_URL ?? 'http://127.0.0.1:8080';
const dataDir = path.resolve(env.SHOP_DATA_DIR ?? './webshop-data');

const app = Fastify({ logger: { level: env.SHOP_LOG_LEVEL ?? 'info' } });
await app.register(formbody);
const store = new ShopStore(dataDir);
const shop = new Shop(store, app.log, { platformUrl, dataDir });

app.get('/', async (_req, reply) => {
  reply.type('text/html');
  if (!shop.registered) return registerPage(store.setting('registrationUrl'));
  if (!shop.connected) return connectPage();
  return shopPage({
    accounting: store.setting('accounting') ?? 'your accounting',
    products: store.records<Product>('products', 500),
    productCount: store.count('products'),
    customers: store.records<Customer>('customers', 50),
    customerCount: store.count('customers'),
    orders: store.orders(),
  });
});

app.post('/register', async (req, reply) => {
  const { name, email } = req.body as { name: string; email: string };
  const started = await shop.cloud.register({ name, email, application: { name: 'Garden Shop', description: 'A sample web shop', solution: 'ecommerce', notificationUrl: `${publicUrl}/webhooks/connected-cloud` } });
  store.setSetting('registrationUrl', started.registrationUrl);
  return reply.redirect('/', 303);
});

app.post('/setup', async (req, reply) => {
  const { developerId, applicationId, webhookSecret } = req.body as Record<string, string>;
  await shop.cloud.application(developerId!.trim(), applicationId!.trim()); // refuses IDs that do not exist
  store.setSetting('developerId', developerId!.trim());
  store.setSetting('applicationId', applicationId!.trim());
  store.setSetting('webhookSecret', webhookSecret!.trim());
  return reply.redirect('/', 303);
});

app.post('/connect', async (_req, reply) => reply.type('text/html').send(connectPage(await shop.newPasscode())));

app.post('/orders', async (req, reply) => {
  const { customer, product, quantity } = req.body as Record<string, string>;
  await shop.placeOrder(customer!, product!, Number(quantity));
  return reply.redirect('/', 303);
});

// Events keep their raw body: the signature is over the bytes as sent.
await app.register(async (hooks) => {
  hooks.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  hooks.post('/webhooks/connected-cloud', async (req, reply) => {
    const secret = store.setting('webhookSecret');
    if (!secret) return reply.code(503).send(); // not set up yet: the platform tries again later
    let event;
    try {
      event = new WebhookVerifier(secret).verify(req.body as string, req.headers);
    } catch {
      return reply.code(400).send();
    }
    await shop.onEvent(event);
    return reply.code(204).send();
  });
});

await app.listen({ host, port });
app.log.info({ url: publicUrl, platform: platformUrl }, 'shop started');
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void app.close().then(() => process.exit(0)));
