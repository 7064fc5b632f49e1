import { GraphQLError, type ASTNode } from 'graphql';
import { DomainError, ErrorCode } from '../../services/common/errors.js';

/** The limits an operation is measured against before it runs (extensions.limit names one). */
export type LimitName = 'depth' | 'aliases' | 'directives' | 'tokens' | 'cost' | 'selections' | 'variablesDepth';

/**
 * QUERY_TOO_COMPLEX as a GraphQLError whose originalError is the DomainError that
 * format-error shows: code, the limit, its maximum and what the operation measured.
 * HTTP 400: the client must change the operation (nothing was executed).
 */
export function queryTooComplex(limit: LimitName, maximum: number, measured: number, nodes?: readonly ASTNode[]): GraphQLError {
  const message = `The operation exceeds the ${limit} limit: ${measured} > ${maximum} (nothing was executed)`;
  return new GraphQLError(message, {
    nodes,
    originalError: new DomainError(ErrorCode.QUERY_TOO_COMPLEX, message, { limit, maximum, measured }),
    extensions: { http: { status: 400 } },
  });
}

/** BAD_USER_INPUT for an input refused at the edge (before any resolver saw it). */
export function refusedInput(message: string, details: Record<string, unknown>, nodes?: readonly ASTNode[]): GraphQLError {
  return new GraphQLError(message, {
    nodes,
    originalError: new DomainError(ErrorCode.BAD_USER_INPUT, message, details),
    extensions: { http: { status: 400 } },
  });
}

/** RATE_LIMITED with retryAfterSeconds (the HTTP edge turns it into Retry-After) and HTTP 429. */
export function rateLimited(budget: string, retryAfterSeconds: number): GraphQLError {
  const message = `Too many ${budget} from this caller: retry in ${retryAfterSeconds} s`;
  return new GraphQLError(message, {
    originalError: new DomainError(ErrorCode.RATE_LIMITED, message, { budget, retryAfterSeconds }),
    extensions: { http: { status: 429 } },
  });
}
