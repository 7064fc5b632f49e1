import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs, one object per line. Tests pass their own stream to read them. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
