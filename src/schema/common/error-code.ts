import { GraphQLEnumType } from 'graphql';
import { ErrorCode } from '../../services/common/errors.js';

const descriptions: Partial<Record<ErrorCode, string>> = {
  [ErrorCode.VERSION_CONFLICT]: "The entity's version is not the one the client sent: reload and retry.",
  [ErrorCode.SOLD_OUT]: 'Not enough rooms (or seats) left for the request.',
  [ErrorCode.IDEMPOTENCY_KEY_REUSED]: 'The idempotency key was used before with different input.',
  [ErrorCode.IDEMPOTENCY_KEY_IN_USE]: 'A request with the same idempotency key is still being processed.',
  [ErrorCode.INVALID_STATE]: 'The reservation is not in a state that allows the operation.',
  [ErrorCode.BUSY]:
    'Too much contention or a dependency is briefly down: safe to retry with the same idempotency key (after extensions.retryAfterSeconds when given; HTTP also sends Retry-After).',
  [ErrorCode.QUERY_TOO_COMPLEX]:
    "The operation's depth, aliases or estimated cost exceed the server's limits (extensions say which limit and by how much); nothing was executed.",
  [ErrorCode.RATE_LIMITED]: 'Too many requests from this caller: retry after extensions.retryAfterSeconds.',
  [ErrorCode.PERSISTED_QUERY_NOT_FOUND]:
    'Automatic persisted queries: the hash is unknown (send the query with it), as Apollo clients expect.',
  [ErrorCode.HOLD_EXPIRED]:
    'The hold token is unknown to the caller, or the hold expired, was released or was checked out.',
};

/** The codes a client finds in `extensions.code`. No field returns it; it documents the errors. */
export const ErrorCodeType = new GraphQLEnumType({
  name: 'ErrorCode',
  values: Object.fromEntries(
    Object.values(ErrorCode).map((code) => [code, { value: code, description: descriptions[code] }]),
  ),
});
