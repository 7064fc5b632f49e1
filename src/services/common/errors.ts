/**
 * The catalogue of domain errors. Services throw DomainError with one of these
 * codes; the GraphQL edge maps them to extensions.code once (see infra/format-error).
 * The values are the contract's ErrorCode enum, unchanged.
 */
export enum ErrorCode {
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  NOT_FOUND = 'NOT_FOUND',
  VERSION_CONFLICT = 'VERSION_CONFLICT',
  SOLD_OUT = 'SOLD_OUT',
  IDEMPOTENCY_KEY_REUSED = 'IDEMPOTENCY_KEY_REUSED',
  IDEMPOTENCY_KEY_IN_USE = 'IDEMPOTENCY_KEY_IN_USE',
  PAYMENT_DECLINED = 'PAYMENT_DECLINED',
  INVALID_STATE = 'INVALID_STATE',
  BUSY = 'BUSY',
  QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX',
  RATE_LIMITED = 'RATE_LIMITED',
  PERSISTED_QUERY_NOT_FOUND = 'PERSISTED_QUERY_NOT_FOUND',
  HOLD_EXPIRED = 'HOLD_EXPIRED',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Safe to show to the client (e.g. which field was invalid). */
    readonly details?: Record<string, unknown>,
    /** `cause`: the failure behind it, for the log (never shown to the client). */
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'DomainError';
  }
}

export const badInput = (field: string, message: string) =>
  new DomainError(ErrorCode.BAD_USER_INPUT, `${field}: ${message}`, { field });

export const notFound = (what: string, id: string) =>
  new DomainError(ErrorCode.NOT_FOUND, `${what} ${id} not found`, { id });

export const versionConflict = (what: string, id: string) =>
  new DomainError(
    ErrorCode.VERSION_CONFLICT,
    `${what} ${id} was changed by someone else: reload it and retry`,
    { id },
  );

export const unauthenticated = (message = 'A valid token is required') =>
  new DomainError(ErrorCode.UNAUTHENTICATED, message);

export const forbidden = (message = 'Not allowed') => new DomainError(ErrorCode.FORBIDDEN, message);

export const invalidState = (message: string) => new DomainError(ErrorCode.INVALID_STATE, message);
