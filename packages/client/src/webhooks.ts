import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventBody } from '@connected-cloud/contract';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';

/** What the platform sends to a notificationUrl: one of the contract's events, typed by `type`. */
export type PlatformEvent = EventBody;
export type EventOf<T extends PlatformEvent['type']> = Extract<PlatformEvent, { type: T }>;
export { WebhookVerificationError };

type Headers = Record<string, string | string[] | undefined>;
const MAX_BODY = 1 << 20;

/**
 * Verifies deliveries with the application's `whsec_` secret, per Standard Webhooks: the signature over the raw
 * body (never a re-serialised one), and a timestamp within five minutes (replays are refused).
 */
export class WebhookVerifier {
  readonly #webhook: Webhook;

  constructor(secret: string) {
    this.#webhook = new Webhook(secret);
  }

  /** The event, or WebhookVerificationError for a wrong signature, a tampered body or an old timestamp. */
  verify(rawBody: string | Buffer, headers: Headers): PlatformEvent {
    const pick = (name: string) => {
      const v = headers[name];
      return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
    };
    const wanted = { 'webhook-id': pick('webhook-id'), 'webhook-timestamp': pick('webhook-timestamp'), 'webhook-signature': pick('webhook-signature') };
    return this.#webhook.verify(typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8'), wanted) as PlatformEvent;
  }
}

/** The raw body of a Node request (up to 1 MiB), as the signature was made over it. */
export async function readRawBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error('webhook body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A handler for Node's http server: verifies, answers 204 once `onEvent` has finished (the platform retries
 * anything else), 400 for a delivery that fails verification.
 */
export function nodeWebhookHandler(secret: string, onEvent: (event: PlatformEvent) => unknown) {
  const verifier = new WebhookVerifier(secret);
  return async (req: IncomingMessage, res: ServerResponse) => {
    let event: PlatformEvent;
    try {
      event = verifier.verify(await readRawBody(req), req.headers);
    } catch {
      res.writeHead(400).end();
      return;
    }
    try {
      await onEvent(event);
      res.writeHead(204).end();
    } catch {
      res.writeHead(500).end(); // delivered again later
    }
  };
}

/** The part of Fastify this helper uses (so that the SDK does not depend on Fastify). */
interface FastifyLike {
  addContentTypeParser(type: string, opts: { parseAs: 'string'; bodyLimit?: number }, parser: (req: unknown, body: string, done: (err: Error | null, body?: unknown) => void) => void): void;
  post(path: string, handler: (req: { body: unknown; headers: Headers }, reply: { code(n: number): { send(b?: unknown): unknown } }) => Promise<unknown>): void;
}

/**
 * Registers a webhook route on a Fastify instance (call it inside a plugin of its own: it keeps JSON bodies raw
 * there, for the signature).
 */
export function fastifyWebhookRoute(app: FastifyLike, path: string, secret: string, onEvent: (event: PlatformEvent) => unknown): void {
  const verifier = new WebhookVerifier(secret);
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: MAX_BODY }, (_req, body, done) => done(null, body));
  app.post(path, async (req, reply) => {
    let event: PlatformEvent;
    try {
      event = verifier.verify(String(req.body), req.headers);
    } catch {
      return reply.code(400).send();
    }
    await onEvent(event);
    return reply.code(204).send();
  });
}

/** Express middleware, after `express.raw({ type: 'application/json' })`: verifies and hands on `req.event`. */
export function expressWebhook(secret: string) {
  const verifier = new WebhookVerifier(secret);
  return (req: { body: unknown; headers: Headers; event?: PlatformEvent }, res: { status(n: number): { end(): void } }, next: (err?: unknown) => void) => {
    try {
      if (!Buffer.isBuffer(req.body)) throw new Error('use express.raw({ type: "application/json" }) before this middleware');
      req.event = verifier.verify(req.body, req.headers);
    } catch (error) {
      if (error instanceof WebhookVerificationError) return res.status(400).end();
      return next(error);
    }
    next();
  };
}
