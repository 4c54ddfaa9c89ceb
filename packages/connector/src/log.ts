import { pino, type Logger } from 'pino';

export type { Logger };

/** The instance key never reaches the log. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'connector' },
      redact: ['instanceKey', 'headers["x-instance-key"]', '*.headers["x-instance-key"]'],
    },
    destination as never,
  );
}
