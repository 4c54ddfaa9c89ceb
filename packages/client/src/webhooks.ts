import type { EventBody } from '@connected-cloud/contract';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';

/** What the platform sends to a notificationUrl: one of the contract's events, a union discriminated by `type`. */
export type PlatformEvent = EventBody;
export type EventOf<T extends PlatformEvent['type']> = Extract<PlatformEvent, { type: T }>;
export { WebhookVerificationError };

/** Any of: Fetch `Headers`, Node's `IncomingHttpHeaders`, or a plain object of header names to values. */
export type HeaderSource = { get(name: string): string | null } | Record<string, string | string[] | undefined>;

const MAX_BODY = 1 << 20;

/** One header's value, whatever form the headers come in (names are matched without regard to case). */
export function headerValue(headers: HeaderSource, name: string): string {
  if (typeof headers.get === 'function') return (headers as { get(name: string): string | null }).get(name) ?? '';
  const record = headers as Record<string, string | string[] | undefined>;
  const key = name in record ? name : Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

/**
 * Verifies deliveries with the application's `whsec_` webhook signing secret (not the passcode secret), per Standard
 * Webhooks: the signature over the raw body (never a re-serialised one), and a timestamp within five minutes.
 */
export class WebhookVerifier {
  readonly #webhook: Webhook;

  constructor(webhookSecret: string) {
    this.#webhook = new Webhook(webhookSecret);
  }

  /** The event, or WebhookVerificationError for a wrong signature, a tampered body or an old timestamp. */
  verify(rawBody: string | Uint8Array, headers: HeaderSource): PlatformEvent {
    const wanted = {
      'webhook-id': headerValue(headers, 'webhook-id'),
      'webhook-timestamp': headerValue(headers, 'webhook-timestamp'),
      'webhook-signature': headerValue(headers, 'webhook-signature'),
    };
    return this.#webhook.verify(
      typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody),
      wanted,
    ) as PlatformEvent;
  }

  /** A Fetch `Request` (Deno, Bun, edge runtimes, Next.js route handlers): reads its body and verifies it. */
  async verifyRequest(request: Request): Promise<PlatformEvent> {
    return this.verify(await request.text(), request.headers);
  }
}

/**
 * A handler for the Fetch API, `(request) => Response`: 204 once `onEvent` has finished, 400 for a delivery that
 * fails verification, 500 if `onEvent` throws (the platform delivers it again later).
 */
export function fetchWebhookHandler(webhookSecret: string, onEvent: (event: PlatformEvent) => unknown) {
  const verifier = new WebhookVerifier(webhookSecret);
  return async (request: Request): Promise<Response> => {
    let event: PlatformEvent;
    try {
      const length = Number(request.headers.get('content-length') ?? 0);
      if (length > MAX_BODY) return new Response(null, { status: 413 });
      event = await verifier.verifyRequest(request);
    } catch {
      return new Response(null, { status: 400 });
    }
    try {
      await onEvent(event);
      return new Response(null, { status: 204 });
    } catch {
      return new Response(null, { status: 500 });
    }
  };
}

/** The parts of Node's IncomingMessage and ServerResponse the Node helper uses (so this entry imports no Node module). */
interface NodeRequestLike extends AsyncIterable<Uint8Array | string> {
  headers: Record<string, string | string[] | undefined>;
}
interface NodeResponseLike {
  writeHead(status: number): { end(): unknown };
}

/** The raw body of a Node request (up to 1 MiB), as the signature was made over it. */
export async function readRawBody(req: AsyncIterable<Uint8Array | string>): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error('webhook body too large');
    text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}

/**
 * A handler for Node's http server: verifies, answers 204 once `onEvent` has finished (the platform retries
 * anything else), 400 for a delivery that fails verification.
 */
export function nodeWebhookHandler(webhookSecret: string, onEvent: (event: PlatformEvent) => unknown) {
  const verifier = new WebhookVerifier(webhookSecret);
  return async (req: NodeRequestLike, res: NodeResponseLike) => {
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
  addContentTypeParser(
    type: string,
    opts: { parseAs: 'string'; bodyLimit?: number },
    parser: (req: never, body: string, done: (err: Error | null, body?: unknown) => void) => void,
  ): void;
  post(
    path: string,
    handler: (
      req: { body: unknown; headers: Record<string, string | string[] | undefined> },
      reply: { code(n: number): { send(b?: unknown): unknown } },
    ) => Promise<unknown>,
  ): void;
}

/**
 * Registers a webhook route on a Fastify instance (call it inside a plugin of its own: it keeps JSON bodies raw
 * there, for the signature).
 */
export function fastifyWebhookRoute(
  app: FastifyLike,
  path: string,
  webhookSecret: string,
  onEvent: (event: PlatformEvent) => unknown,
): void {
  const verifier = new WebhookVerifier(webhookSecret);
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: MAX_BODY }, (_req, body, done) =>
    done(null, body),
  );
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
export function expressWebhook(webhookSecret: string) {
  const verifier = new WebhookVerifier(webhookSecret);
  return (
    req: { body: unknown; headers: Record<string, string | string[] | undefined>; event?: PlatformEvent },
    res: { status(n: number): { end(): void } },
    next: (err?: unknown) => void,
  ) => {
    try {
      if (!(req.body instanceof Uint8Array))
        throw new Error('use express.raw({ type: "application/json" }) before this middleware');
      req.event = verifier.verify(req.body, req.headers);
    } catch (error) {
      if (error instanceof WebhookVerificationError) return res.status(400).end();
      return next(error);
    }
    next();
  };
}
