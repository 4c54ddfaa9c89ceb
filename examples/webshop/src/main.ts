import { randomBytes } from 'node:crypto';
import path from 'node:path';
import formbody from '@fastify/formbody';
import { ApiError, WebhookVerifier, type Customer, type Product } from '@connected-cloud/client';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { connectPage, errorPage, registerPage, shopPage } from './pages.js';
import { Sealer } from './secrets.js';
import { Shop, ShopError, type BasketLine } from './shop.js';
import { ShopStore } from './store.js';

const env = process.env;
const host = env.SHOP_HOST ?? '127.0.0.1';
const port = Number(env.SHOP_PORT ?? 8095);
const publicUrl = (env.SHOP_PUBLIC_URL ?? `http://${host}:${port}`).replace(/\/+$/, '');
const platformUrl = env.SHOP_PLATFORM_URL ?? 'http://127.0.0.1:8080';
const dataDir = path.resolve(env.SHOP_DATA_DIR ?? './webshop-data');
const PAGE_SIZE = 20;

const app = Fastify({ logger: { level: env.SHOP_LOG_LEVEL ?? 'info' } });
await app.register(formbody);
const sealer = new Sealer(dataDir);
const store = new ShopStore(dataDir, sealer);
const shop = new Shop(store, app.log, sealer, { platformUrl });

/**
 * CSRF: each browser gets a random cookie (HttpOnly, SameSite=Lax); every form carries a keyed digest of it, which
 * another site can neither read nor make. A POST whose field does not match the cookie is refused with a page.
 */
const CSRF_COOKIE = 'shop_csrf';
function csrfToken(request: FastifyRequest, reply: FastifyReply): string {
  let browser = cookie(request, CSRF_COOKIE);
  if (!browser || !/^[\w-]{32}$/.test(browser)) {
    browser = randomBytes(24).toString('base64url');
    reply.header(
      'set-cookie',
      `${CSRF_COOKIE}=${browser}; Path=/; HttpOnly; SameSite=Lax${publicUrl.startsWith('https:') ? '; Secure' : ''}`,
    );
  }
  return sealer.mac(browser);
}
const cookie = (request: FastifyRequest, name: string) =>
  request.headers.cookie
    ?.split(';')
    .map((c) => c.trim().split('='))
    .find(([k]) => k === name)?.[1];

app.addHook('preHandler', async (request, reply) => {
  if (request.method !== 'POST' || request.url.startsWith('/webhooks/')) return;
  const browser = cookie(request, CSRF_COOKIE);
  if (!browser || !sealer.sameMac(browser, (request.body as { _csrf?: unknown } | undefined)?._csrf)) {
    return reply
      .code(403)
      .type('text/html')
      .send(
        errorPage({
          status: 403,
          title: 'This form has expired',
          message:
            'The page was open too long, or the form came from somewhere else. Go back, reload the page and try again.',
        }),
      );
  }
});

app.setNotFoundHandler((_req, reply) =>
  reply
    .code(404)
    .type('text/html')
    .send(errorPage({ status: 404, title: 'No such page', message: 'There is nothing at this address.' })),
);

/** Every failure a person can meet is a page that says what happened and what to do (set before the routes: they take it). */
app.setErrorHandler((error, request, reply) => {
  if (request.url.startsWith('/webhooks/')) {
    request.log.error({ err: error }, 'event not handled; the platform sends it again');
    return reply.code(500).send();
  }
  const page = (status: number, title: string, message: string) =>
    reply.code(status).type('text/html').send(errorPage({ status, title, message }));
  if (error instanceof ShopError) return page(400, 'That did not work', error.message);
  if (error instanceof ApiError) {
    request.log.warn({ status: error.status, code: error.code }, 'the platform refused');
    if (error.code === 'developer-not-found' || error.code === 'application-not-found') {
      return page(
        400,
        'Those IDs are not known',
        'Connected Cloud knows no such Developer ID or Application ID. Copy both from the e-mail, exactly as they are.',
      );
    }
    if (error.code === 'api-key-revoked') {
      store.clearSetting('integrationId');
      store.setSetting('disconnected', new Date().toISOString());
      return page(
        409,
        'Disconnected',
        'The accounting product ended the connection, so the orders were not sent. Reconnect the shop, then send them again.',
      );
    }
    if (error.code === 'rate-limited')
      return page(429, 'Too many tries', 'Connected Cloud asks to wait a little. Try again in a minute.');
    if (error.status === 400 || error.status === 422) return page(400, 'Connected Cloud refused that', error.message);
    return page(502, 'Connected Cloud said no', `It answered: ${error.message}. Try again in a moment.`);
  }
  if ((error as { validation?: unknown }).validation || (error as { statusCode?: number }).statusCode === 400) {
    return page(400, 'That did not work', 'The form was not complete. Go back and fill in every field.');
  }
  request.log.error({ err: error }, 'page failed');
  const unreachable = /fetch failed|ECONNREFUSED|ETIMEDOUT/i.test(
    `${(error as Error).message} ${(error as { cause?: Error }).cause?.message ?? ''}`,
  );
  return unreachable
    ? page(
        503,
        'Connected Cloud cannot be reached',
        'The shop could not reach Connected Cloud just now. Try again in a moment.',
      )
    : page(
        500,
        'Something went wrong',
        'The shop could not do that. Try again; if it keeps failing, the shop’s log says why.',
      );
});

const param = (v: unknown) => (typeof v === 'string' ? v : '');
const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(param) : v === undefined ? [] : [param(v)]);

app.get('/', async (request, reply) => {
  reply.type('text/html');
  const csrf = csrfToken(request, reply);
  if (!shop.registered) return registerPage(csrf, store.setting('registrationUrl'));
  const disconnected = store.setting('disconnected');
  if (!shop.connected) {
    return connectPage({
      csrf,
      generation: store.generation,
      ...(disconnected ? { disconnected: { at: disconnected, accounting: store.setting('accounting') } } : {}),
      denied: Boolean(store.setting('denied')),
    });
  }
  const q = request.query as Record<string, unknown>;
  const state = Object.fromEntries(
    ['pq', 'pp', 'cq', 'cp', 'customer', 'product'].map((k) => [k, param(q[k])]).filter(([, v]) => v),
  ) as Record<string, string>;
  return shopPage({
    csrf,
    generation: store.generation,
    accounting: store.setting('accounting') ?? 'your accounting',
    products: store.page<Product>('products', { q: state.pq, page: Number(state.pp ?? 1), size: PAGE_SIZE }),
    customers: store.page<Customer>('customers', { q: state.cq, page: Number(state.cp ?? 1), size: PAGE_SIZE }),
    chosen: {
      customer: state.customer ? store.record<Customer>('customers', state.customer) : undefined,
      product: state.product ? store.record<Product>('products', state.product) : undefined,
    },
    state,
    orders: store.orders(),
    uploads: store.uploads(),
    stockAsOf: store.setting('products:at'),
  });
});

/** What the open page asks every two seconds: has anything it shows changed? */
app.get('/live', async () => ({ generation: store.generation }));

app.post('/register', async (req, reply) => {
  const { name, email } = req.body as Record<string, unknown>;
  const started = await shop.cloud.register({
    name: param(name),
    email: param(email),
    application: {
      name: 'Garden Shop',
      description: 'A sample web shop',
      solution: 'ecommerce',
      notificationUrl: `${publicUrl}/webhooks/connected-cloud`,
    },
  });
  store.setSetting('registrationUrl', started.registrationUrl);
  return reply.redirect('/', 303);
});

app.post('/setup', async (req, reply) => {
  const body = req.body as Record<string, unknown>;
  const [developerId, applicationId, webhookSecret] = [
    param(body.developerId).trim(),
    param(body.applicationId).trim(),
    param(body.webhookSecret).trim(),
  ];
  if (!/^whsec_/.test(webhookSecret))
    throw new ShopError('The webhook signing secret starts with whsec_: copy it whole from the e-mail.');
  await shop.cloud.application(developerId, applicationId); // refuses IDs that do not exist
  store.setSetting('developerId', developerId);
  store.setSetting('applicationId', applicationId);
  store.setSecret('webhookSecret', webhookSecret);
  return reply.redirect('/', 303);
});

app.post('/connect', async (req, reply) => {
  const pc = await shop.newPasscode();
  store.clearSetting('denied');
  return reply
    .type('text/html')
    .send(connectPage({ csrf: csrfToken(req, reply), generation: store.generation, passcode: pc }));
});

app.post('/orders', async (req, reply) => {
  if (!shop.connected) throw new ShopError('The shop is not connected to the accounting: reconnect it first.');
  const body = req.body as Record<string, unknown>;
  const [customers, products, quantities] = [list(body.customer), list(body.product), list(body.quantity)];
  const lines: BasketLine[] = products.flatMap((productId, i) =>
    productId ? [{ customerId: customers[i] ?? '', productId, quantity: Number(quantities[i]) }] : [],
  );
  await shop.placeOrders(lines);
  return reply.redirect('/#orders-h', 303);
});

app.post<{ Params: { uploadId: string } }>('/uploads/:uploadId/resend', async (req, reply) => {
  if (!shop.connected) throw new ShopError('The shop is not connected to the accounting: reconnect it first.');
  await shop.resend(req.params.uploadId);
  return reply.redirect('/#uploads-h', 303);
});

// Events keep their raw body: the signature is over the bytes as sent.
await app.register(async (hooks) => {
  hooks.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  hooks.post('/webhooks/connected-cloud', async (req, reply) => {
    const secret = store.secret('webhookSecret');
    if (!secret) return reply.code(503).send(); // not set up yet: the platform tries again later
    let event;
    try {
      event = new WebhookVerifier(secret).verify(req.body as string, req.headers);
    } catch {
      return reply.code(400).send();
    }
    await shop.onEvent(event);
    if (event.type === 'file.available' && event.data.scope === 'products')
      store.setSetting('products:at', event.timestamp);
    return reply.code(204).send();
  });
});

await app.listen({ host, port });
app.log.info({ url: publicUrl, platform: platformUrl }, 'shop started');
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.on(signal, () => void app.close().then(() => process.exit(0)));
