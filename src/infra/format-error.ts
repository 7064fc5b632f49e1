import { unwrapResolverError } from '@apollo/server/errors';
import { OptimisticLockError } from '@mikro-orm/core';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { DomainError, ErrorCode } from '../services/common/errors.js';
import { isLockContention } from '../services/common/sql.js';
import { tokenLimitError } from './limits/query-limits.js';
import type { Logger } from './logger.js';
import { OUTAGE_RETRY_AFTER_SECONDS, OutageLog, outageOf } from './outage.js';

/** Apollo's own codes for requests that are malformed: all the client's to fix. */
const CLIENT_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

/**
 * The one place errors become what a client sees. Domain errors keep their code (also
 * those the edge raises before execution: QUERY_TOO_COMPLEX, RATE_LIMITED, refused
 * strings); malformed requests are BAD_USER_INPUT; an unknown persisted-query hash is
 * PERSISTED_QUERY_NOT_FOUND, as Apollo clients expect; a database or Redis that is
 * unreachable or restarting is BUSY with retryAfterSeconds (logged once per outage
 * episode, see OutageLog), and so is a statement that lost to row-lock contention (a
 * deadlock, or the database's lock_timeout); everything else is INTERNAL_SERVER_ERROR,
 * logged here with its cause and shown with no stack, SQL or message.
 */
export function createFormatError(logger: Logger, outages: OutageLog = new OutageLog(logger)) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const where = { path: formatted.path, locations: formatted.locations };
    const original = tokenLimitError(error)?.originalError ?? domainErrorIn(error) ?? unwrapResolverError(error);

    if (original instanceof DomainError) {
      if (original.code === ErrorCode.BUSY && original.cause !== undefined) {
        // A BUSY the domain raised over a failed dependency call (the hold engine): count it as an outage, or keep its cause visible.
        const dependency = outageOf(original.cause);
        if (dependency) outages.failure(dependency, original.cause);
        else logger.warn({ err: original.cause, path: formatted.path }, 'answering BUSY after a dependency call failed');
      }
      return { message: original.message, ...where, extensions: { ...original.details, code: original.code } };
    }
    if (original instanceof OptimisticLockError) {
      return {
        message: 'The entity was changed by someone else since you read it: reload it and retry',
        ...where,
        extensions: { code: ErrorCode.VERSION_CONFLICT },
      };
    }
    const apolloCode = formatted.extensions?.code;
    if (apolloCode === ErrorCode.PERSISTED_QUERY_NOT_FOUND) {
      return { message: formatted.message, ...where, extensions: { code: ErrorCode.PERSISTED_QUERY_NOT_FOUND } };
    }
    // A request error whose cause is a JavaScript error (a stack overflow while parsing,
    // say) is not the client's to read: it falls through to INTERNAL_SERVER_ERROR.
    const clientError =
      (typeof apolloCode === 'string' && CLIENT_ERROR_CODES.has(apolloCode)) || isCodelessClientError(error);
    if (clientError && !javaScriptErrorIn(error)) {
      return { message: formatted.message, ...where, extensions: { code: ErrorCode.BAD_USER_INPUT } };
    }

    if (isLockContention(original)) {
      // A deadlock, or the database's lock_timeout: the records were busy, nothing was written.
      return {
        message: 'The records this changes are busy: retry shortly (with the same idempotency key)',
        ...where,
        extensions: { code: ErrorCode.BUSY, retryAfterSeconds: 1 },
      };
    }
    const dependency = outageOf(original);
    if (dependency) {
      outages.failure(dependency, original);
      return {
        message: `The ${dependency} is briefly unavailable: retry shortly (with the same idempotency key)`,
        ...where,
        extensions: { code: ErrorCode.BUSY, retryAfterSeconds: OUTAGE_RETRY_AFTER_SECONDS },
      };
    }

    logger.error({ err: original, path: formatted.path }, 'unexpected error in GraphQL operation');
    return { message: 'Internal server error', ...where, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
  };
}

/** A DomainError carried as the originalError of the GraphQLErrors wrapping it (validation rules, plugins, subscriptions). */
function domainErrorIn(error: unknown): DomainError | undefined {
  let current: unknown = error;
  for (let hops = 0; hops < 5; hops++) {
    if (current instanceof DomainError) return current;
    if (!(current instanceof GraphQLError)) return undefined;
    current = current.originalError;
  }
  return undefined;
}

/** Whether a non-GraphQL error (a TypeError, a RangeError) is behind the GraphQLErrors wrapping it. */
function javaScriptErrorIn(error: unknown): boolean {
  let current: unknown = error;
  for (let hops = 0; hops < 5 && current !== undefined && current !== null; hops++) {
    if (!(current instanceof GraphQLError)) return !(current instanceof DomainError);
    current = current.originalError;
  }
  return false;
}

/**
 * An error Apollo raises itself with no code but a 4xx status: a persisted-query hash
 * that does not match the query, or an unsupported persisted-query version.
 */
function isCodelessClientError(error: unknown): boolean {
  if (!(error instanceof GraphQLError) || error.extensions.code !== undefined) return false;
  const status = (error.extensions.http as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}
