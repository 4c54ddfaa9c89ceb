import { randomBytes, timingSafeEqual } from 'node:crypto';
import formbody from '@fastify/formbody';
import type { ConsentChallenge } from '@connected-cloud/contract';
import Fastify from 'fastify';
import type { Logger } from 'pino';
import type { Delivery } from '../delivery/deliver.js';
import type { Ledger } from '../ledger/db.js';
import { PlatformError, type PlatformClient } from '../platform/client.js';
import { consentPage, disablePage, homePage, type IntegrationRow } from './html.js';
import { operation } from '@connected-cloud/client';

/**
 * The connector's page for its user: enable an external integration by passcode (see what it asks, then grant or
 * deny) and disable one. Every form carries a token of this process, so that no other site can post them.
 */
export async function pageServer(d: { db: Ledger; client: PlatformClient; delivery: Delivery; log: Logger }) {
  const app = Fastify({ loggerInstance: d.log });
  await app.register(formbody);
  const token = randomBytes(24).toString('base64url');
  const company = async () =>
    (await d.db.selectFrom('company').select('name').executeTakeFirst())?.name ?? 'Accounting company';
  const integrations = () => d.client.json<IntegrationRow[]>(operation('listConnectorIntegrations'));
  const sameToken = (given: unknown) =>
    typeof given === 'string' &&
    given.length === token.length &&
    timingSafeEqual(Buffer.from(given), Buffer.from(token));

  app.addHook('preHandler', async (request, reply) => {
    if (request.method === 'POST' && !sameToken((request.body as { token?: unknown } | undefined)?.token)) {
      return reply.code(403).type('text/plain').send('This form has expired: reload the page.');
    }
  });
  const home = async (extra: { note?: string; error?: string; passcode?: string } = {}) =>
    homePage({ company: await company(), token, integrations: await integrations(), ...extra });

  app.get('/', async (request, reply) => {
    const note = (request.query as { note?: string }).note;
    return reply.type('text/html').send(await home(note ? { note } : {}));
  });

  app.post('/consents', async (request, reply) => {
    const sent = (request.body as { passcode?: unknown }).passcode;
    const passcode = (typeof sent === 'string' ? sent : '').slice(0, 64);
    try {
      const challenge = await d.client.json<ConsentChallenge>(operation('lookUpConsent'), { body: { passcode } });
      return reply.type('text/html').send(consentPage({ company: await company(), token, challenge }));
    } catch (error) {
      if (!(error instanceof PlatformError)) throw error;
      const message =
        error.code === 'rate-limited'
          ? `Too many attempts. Try again in ${Math.ceil((error.retryAfterMs ?? 60_000) / 1000)} seconds.`
          : error.status === 400 || error.code === 'passcode-invalid'
            ? 'That passcode is wrong, used or expired. Ask the application for a new one.'
            : `The platform refused: ${error.message}`;
      return reply
        .code(error.status === 429 ? 429 : 422)
        .type('text/html')
        .send(await home({ error: message, passcode }));
    }
  });

  app.post<{ Params: { consentId: string } }>('/consents/:consentId/grant', async (request, reply) => {
    await d.client.json(operation('grantConsent', { consentId: request.params.consentId }));
    void d.delivery.now(); // the new integration's data goes at once
    return reply.redirect(
      `/?note=${encodeURIComponent('Granted. The application is connected and receives your data now.')}`,
      303,
    );
  });

  app.post<{ Params: { consentId: string } }>('/consents/:consentId/deny', async (request, reply) => {
    await d.client.json(operation('denyConsent', { consentId: request.params.consentId }));
    return reply.redirect(`/?note=${encodeURIComponent('Denied. Nothing was shared.')}`, 303);
  });

  app.get<{ Params: { integrationId: string } }>('/integrations/:integrationId/disable', async (request, reply) => {
    const integration = (await integrations()).find(
      (i) => i.integrationId === request.params.integrationId && i.status === 'active',
    );
    if (!integration)
      return reply
        .code(404)
        .type('text/html')
        .send(await home({ note: 'That integration is not active: there is nothing to disable.' }));
    return reply.type('text/html').send(disablePage({ company: await company(), token, integration }));
  });

  app.post<{ Params: { integrationId: string } }>('/integrations/:integrationId/disable', async (request, reply) => {
    await d.client.json(operation('revokeIntegration', { integrationId: request.params.integrationId }));
    return reply.redirect(
      `/?note=${encodeURIComponent('Disabled. The application can no longer reach your data.')}`,
      303,
    );
  });

  app.setErrorHandler(async (error, request, reply) => {
    request.log.error({ err: error }, 'page failed');
    const message =
      error instanceof PlatformError
        ? `The platform refused: ${error.message}`
        : 'The platform cannot be reached just now. Try again in a moment.';
    return reply
      .code(502)
      .type('text/html')
      .send(
        homePage({
          company: await company().catch(() => 'Accounting company'),
          token,
          integrations: [],
          error: message,
        }),
      );
  });
  return app;
}
