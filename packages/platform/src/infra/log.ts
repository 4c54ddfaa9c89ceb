import { pino, type DestinationStream, type Logger } from 'pino';

/** Path segments that carry a bearer token; they are masked wherever a URL is logged. */
const TOKEN_IN_PATH = /(\/register\/)[^/?#]+/g;

export function redactUrl(url: string): string {
  return url.replace(TOKEN_IN_PATH, '$1[redacted]');
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
