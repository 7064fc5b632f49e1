/**
 * What the domain needs of a logger: structured fields first, then the message
 * (pino's shape, which infra/logger provides). The domain imports this, never infra.
 */
export interface Logger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  info(message: string): void;
  warn(fields: object, message?: string): void;
  warn(message: string): void;
  error(fields: object, message?: string): void;
}
