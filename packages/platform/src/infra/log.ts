import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { pino, type DestinationStream, type Logger } from 'pino';
import { randomBase62 } from './secrets/random.js';

/**
 * Path segments that carry a bearer token (a registration link's, a portal sign-in link's); they are masked
 * wherever a URL is logged.
 */
const TOKEN_IN_PATH = /(\/(?:register|portal\/sign-in)\/)[^/?#]+/g;

export function redactUrl(url: string): string {
  return url.includes('/register/') || url.includes('/sign-in/') ? url.replace(TOKEN_IN_PATH, '$1[redacted]') : url;
}

/** Request IDs `req_` + 16 characters: a random prefix per process and a counter, no randomness per request. */
export function requestIds(): (req: { headers: Record<string, string | string[] | undefined> }) => string {
  const prefix = `req_${randomBase62(8)}`;
  let n = 0;
  return (req) => {
    // A client's X-Request-Id (the SDK sends one per call) names the request in both sides' logs.
    const sent = req.headers['x-request-id'];
    return typeof sent === 'string' && /^[\w.-]{8,64}$/.test(sent)
      ? sent
      : prefix + (n++).toString(36).padStart(8, '0');
  };
}

/** pino with every credential redacted: headers, bodies' secret fields and tokens in URLs. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers["x-api-key"]',
          'req.headers["x-instance-key"]',
          'req.headers.cookie',
          '*.apikey',
          '*.instanceKey',
          '*.secret',
          '*.passcode',
          '*.webhookSecret',
          '*.adminToken',
          '*.token',
        ],
        censor: '[redacted]',
      },
      serializers: {
        req: (req: { method: string; url: string; ip?: string; headers: Record<string, unknown> }) => ({
          method: req.method,
          url: redactUrl(req.url),
          remoteAddress: req.ip,
          headers: pickHeaders(req.headers),
        }),
      },
    },
    destination,
  );
}

function pickHeaders(headers: Record<string, unknown>) {
  const keep = ['user-agent', 'content-type', 'content-length', 'authorization', 'x-api-key', 'x-instance-key'];
  return Object.fromEntries(keep.filter((k) => headers[k] !== undefined).map((k) => [k, headers[k]]));
}

/**
 * One line per request, when it is answered, instead of Fastify's two (each serialising the request's headers
 * through the redaction): no headers, no body, so nothing in it carries a credential but a link's token in the
 * URL (registration, sign-in), masked by redactUrl. Its fields are fixed, so it skips the redaction pass: a logger
 * of its own writes it, into the platform logger's destination at its level.
 */
export class RequestLog extends LogController {
  readonly #lines: Logger;

  constructor(log: Logger) {
    super();
    const destination = (log as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym];
    this.#lines = pino({ level: log.level }, destination);
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const method = request.method;
    const url = redactUrl(request.url);
    const status = reply.statusCode;
    const ms = Math.round(reply.elapsedTime * 10) / 10;
    if (error) reply.log.error({ method, url, status, ms, err: error }, 'request errored');
    else this.#lines.info({ reqId: request.id, method, url, status, ms }, 'request');
  }
}
