import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'fastify/types/logger.js';
import { pino, type DestinationStream, type Logger } from 'pino';
import { randomBase62 } from './secrets/random.js';
import { batchedStdout } from './stdout.js';

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

/** Fields that hold a credential, redacted at the top of a logged object and one level down. */
const SECRET_FIELDS = ['apikey', 'instanceKey', 'secret', 'passcode', 'webhookSecret', 'adminToken', 'token'];

/** pino with every credential redacted: headers, bodies' secret fields and tokens in URLs. */
export function createLogger(level: string, destination: DestinationStream = batchedStdout()): Logger {
  return pino(
    {
      level,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers["x-api-key"]',
          'req.headers["x-instance-key"]',
          'req.headers.cookie',
          ...SECRET_FIELDS,
          ...SECRET_FIELDS.map((field) => `*.${field}`),
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

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * Fastify's request logger (`request.log`), made when first used (childLoggerFactory): a request's own line is
 * RequestLog's, so most requests never log through theirs, and pino builds every child's bindings through the
 * redaction (2% of an authenticated GET's CPU).
 */
class RequestLogger implements FastifyBaseLogger {
  #child: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly opts: ChildLoggerOptions,
  ) {}

  get #log(): FastifyBaseLogger {
    return (this.#child ??= this.parent.child(this.bindings, this.opts));
  }

  get level(): string {
    return this.#child?.level ?? this.opts.level ?? this.parent.level;
  }

  set level(level: string) {
    this.#log.level = level;
  }

  #write(level: Level, args: unknown[]): void {
    const log = this.#log;
    Reflect.apply(log[level], log, args);
  }

  fatal(...args: unknown[]) {
    this.#write('fatal', args);
  }
  error(...args: unknown[]) {
    this.#write('error', args);
  }
  warn(...args: unknown[]) {
    this.#write('warn', args);
  }
  info(...args: unknown[]) {
    this.#write('info', args);
  }
  debug(...args: unknown[]) {
    this.#write('debug', args);
  }
  trace(...args: unknown[]) {
    this.#write('trace', args);
  }
  silent(...args: unknown[]) {
    this.#write('silent', args);
  }

  child(bindings: Bindings, opts?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#log.child(bindings, opts);
  }
}

export function requestLogger(parent: FastifyBaseLogger, bindings: Bindings, opts: ChildLoggerOptions) {
  return new RequestLogger(parent, bindings, opts);
}
