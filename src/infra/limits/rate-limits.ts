import { Kind, type DocumentNode, type GraphQLError, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Caller } from '../../services/common/caller.js';
import type { RateLimitsConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { Redis } from '../redis.js';
import { rateLimited } from './limit-errors.js';

export type Budget = 'reads' | 'bookings' | 'staffWrites';

/** Mutations a guest makes to hold and book (reservations, seat holds, checkout, their cancellation). */
const BOOKING_MUTATIONS = new Set([
  'reserve',
  'cancelReservation',
  'holdSeats',
  'holdBestAvailable',
  'holdTimedEntry',
  'holdTable',
  'extendHold',
  'releaseHold',
  'checkout',
  'cancelBooking',
  'updateBookingDetails',
]);

/** What the budgets are called in RATE_LIMITED messages. */
const BUDGET_NAMES: Record<Budget, string> = { reads: 'reads', bookings: 'holds and bookings', staffWrites: 'staff writes' };

/**
 * Points an operation costs, by budget: one per root field (so thirty aliased `reserve`s
 * cost thirty), queries and subscriptions from reads, mutations from bookings or staff
 * writes by field.
 */
export function chargesOf(operation: OperationDefinitionNode, document: DocumentNode): Map<Budget, number> {
  const charges = new Map<Budget, number>();
  const add = (budget: Budget) => charges.set(budget, (charges.get(budget) ?? 0) + 1);
  for (const field of rootFields(operation.selectionSet, document)) {
    if (operation.operation !== 'mutation') add('reads');
    else add(BOOKING_MUTATIONS.has(field) ? 'bookings' : 'staffWrites');
  }
  if (charges.size === 0) add('reads');
  return charges;
}

/** Root field names, through fragments (validation has refused cycles; the walk is bounded anyway). */
function rootFields(selectionSet: SelectionSetNode, document: DocumentNode, hops = 0): string[] {
  if (hops > 10) return [];
  const names: string[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (!selection.name.value.startsWith('__')) names.push(selection.name.value);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      names.push(...rootFields(selection.selectionSet, document, hops + 1));
    } else {
      const fragment = document.definitions.find(
        (definition) => definition.kind === Kind.FRAGMENT_DEFINITION && definition.name.value === selection.name.value,
      );
      if (fragment?.kind === Kind.FRAGMENT_DEFINITION) names.push(...rootFields(fragment.selectionSet, document, hops + 1));
    }
  }
  return names;
}

/** Whose budget an operation spends: the token's subject, else the client's address. */
export function callerKey(caller: Caller, clientAddress: string): string {
  return caller.principal ? `sub:${caller.principal.sub}` : `ip:${clientAddress}`;
}

/**
 * Per-caller budgets (rate-limiter-flexible): fixed windows counted in Redis when the
 * server has one, so every instance spends the same budget; in this process otherwise.
 * While Redis is unreachable each instance counts in its own memory (the insurance
 * limiter) instead of failing requests or letting everything through. A caller over a
 * budget is also remembered in memory until its window ends, so a flood costs no Redis
 * round trips.
 */
export class RateLimits {
  private readonly limiters = new Map<Budget, RateLimiterAbstract>();
  private storeFailureLogged = false;

  constructor(
    config: RateLimitsConfig,
    redis: Redis | undefined,
    private readonly logger: Logger,
  ) {
    const budgets: [Budget, number][] = [
      ['reads', config.reads],
      ['bookings', config.bookings],
      ['staffWrites', config.staffWrites],
    ];
    for (const [budget, points] of budgets) {
      if (points === 0) continue;
      const options = { points, duration: config.windowSeconds, keyPrefix: `${config.keyPrefix}:${budget}` };
      const memory = new RateLimiterMemory(options);
      this.limiters.set(
        budget,
        redis
          ? new RateLimiterRedis({
              ...options,
              storeClient: redis,
              rejectIfRedisNotReady: true,
              insuranceLimiter: memory,
              inMemoryBlockOnConsumed: points + 1,
            })
          : memory,
      );
    }
  }

  /** Spends the operation's points; RATE_LIMITED (with retryAfterSeconds) when a budget is spent, else undefined. */
  async consume(key: string, charges: Map<Budget, number>): Promise<GraphQLError | undefined> {
    for (const [budget, points] of charges) {
      const limiter = this.limiters.get(budget);
      if (!limiter) continue;
      try {
        await limiter.consume(key, points);
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) {
          return rateLimited(BUDGET_NAMES[budget], Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
        }
        // Both stores failed (the insurance limiter should not): let the request through, say so once.
        if (!this.storeFailureLogged) this.logger.warn({ err: rejection }, 'rate limiter unavailable: not limiting');
        this.storeFailureLogged = true;
      }
    }
    return undefined;
  }
}
