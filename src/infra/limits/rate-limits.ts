import { Kind, type DocumentNode, type GraphQLError, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
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
 * Per-caller budgets: fixed windows counted in Redis when the server has one, so every
 * instance spends the same budget; in this process otherwise (rate-limiter-flexible).
 * With Redis, each instance takes a caller's points in grants (`LeasedBudget`) and spends
 * them here, so most operations cost no Redis round trip. While Redis is unreachable each
 * instance counts in its own memory (the insurance limiter) instead of failing requests
 * or letting everything through.
 */
export class RateLimits {
  private readonly limiters = new Map<Budget, LeasedBudget | RateLimiterMemory>();
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
      this.limiters.set(budget, redis ? new LeasedBudget(redis, options, memory, (err) => this.storeFailed(err)) : memory);
    }
  }

  /** Spends the operation's points; RATE_LIMITED (with retryAfterSeconds) when a budget is spent, else undefined. */
  async consume(key: string, charges: Map<Budget, number>): Promise<GraphQLError | undefined> {
    for (const [budget, points] of charges) {
      const limiter = this.limiters.get(budget);
      if (!limiter) continue;
      try {
        const waitMs = limiter instanceof LeasedBudget ? await limiter.consume(key, points) : await spendInMemory(limiter, key, points);
        if (waitMs !== undefined) return rateLimited(BUDGET_NAMES[budget], Math.max(1, Math.ceil(waitMs / 1000)));
      } catch (err) {
        // The in-memory count failed (it should not): let the request through, say so once.
        this.storeFailed(err, 'rate limiter failed: not limiting');
      }
    }
    return undefined;
  }

  private storeFailed(err: unknown, what = 'rate limiter store unavailable: counting in memory'): void {
    if (!this.storeFailureLogged) this.logger.warn({ err }, what);
    this.storeFailureLogged = true;
  }
}

/** Spends points of an in-memory limiter: undefined, or the ms until its window ends when refused. */
async function spendInMemory(limiter: RateLimiterAbstract, key: string, points: number): Promise<number | undefined> {
  try {
    await limiter.consume(key, points);
    return undefined;
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return rejection.msBeforeNext;
    throw rejection;
  }
}

/**
 * Grants part of a caller's budget for its window, never past the budget: KEYS[1] is the
 * caller's counter, ARGV want, need, points (the budget) and the window in ms. Grants
 * min(want, what is left), or nothing when fewer than `need` points are left. Answers
 * { points granted, ms until the window ends, points left in it after the grant }.
 */
const GRANT_SCRIPT = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local ttl = redis.call('PTTL', KEYS[1])
local fresh = ttl < 0
if fresh then ttl = tonumber(ARGV[4]) end
local left = tonumber(ARGV[3]) - used
if left < tonumber(ARGV[2]) then return {0, ttl, left} end
local grant = math.min(tonumber(ARGV[1]), left)
redis.call('INCRBY', KEYS[1], grant)
if fresh then redis.call('PEXPIRE', KEYS[1], ttl) end
return {grant, ttl, left - grant}
`;

/** A grant is at most this share of the budget (1/20: 5%), and at most `MAX_GRANT` points. */
const GRANT_SHARE = 20;
const MAX_GRANT = 1_000;

/** What this instance holds of one caller's budget in the current window. */
interface Grant {
  /** Points granted to this instance and not spent yet. */
  left: number;
  /** How many points to ask for next: 1, then doubling up to the cap, so an occasional caller takes little. */
  next: number;
  /** When the window ends (ms since the epoch). */
  until: number;
  /** Redis said the window's budget is spent: refuse here until it ends, without asking again. */
  spent: boolean;
  /** A grant being asked for: concurrent operations of the caller wait for it instead of asking too. */
  asking?: Promise<void>;
}

/**
 * A budget shared by every instance through Redis, spent here from grants: an instance
 * asks Redis for a few of a caller's points at a time (1, 2, 4, ... up to 5% of the
 * budget, `GRANT_SCRIPT`) and spends them in memory, so a busy caller costs a round trip
 * per grant, not per operation (the round trip was a tenth of a cached search's time,
 * bench/RESULTS.md). Redis counts a point when it is granted, so no caller ever gets past
 * its budget; a caller spending on several instances may be refused with points still
 * granted to another (at most 5% of the budget per other instance). An instance that
 * learns the budget is spent refuses until the window ends without asking again, so a
 * flood costs no round trips. While Redis is not ready (or fails), the insurance limiter
 * counts in this process.
 */
class LeasedBudget {
  private readonly grants = new Map<string, Grant>();
  private readonly cap: number;
  private readonly windowMs: number;
  private nextSweep = 0;

  constructor(
    private readonly redis: Redis,
    private readonly options: { points: number; duration: number; keyPrefix: string },
    private readonly insurance: RateLimiterMemory,
    private readonly storeFailed: (err: unknown) => void,
  ) {
    this.cap = Math.max(1, Math.min(MAX_GRANT, Math.floor(options.points / GRANT_SHARE)));
    this.windowMs = options.duration * 1000;
    redis.defineCommand('rateLimitGrant', { lua: GRANT_SCRIPT, numberOfKeys: 1 });
  }

  /** Spends `points` of the caller's budget: undefined, or the ms until its window ends when refused. */
  async consume(key: string, points: number): Promise<number | undefined> {
    for (;;) {
      const now = Date.now();
      this.sweep(now);
      let grant = this.grants.get(key);
      if (grant && grant.until <= now) {
        this.grants.delete(key);
        grant = undefined;
      }
      if (grant && grant.left >= points) {
        grant.left -= points;
        return undefined;
      }
      if (grant?.spent) return grant.until - now;
      if (grant?.asking) {
        await grant.asking;
        continue;
      }
      if (this.redis.status !== 'ready') return spendInMemory(this.insurance, key, points);
      if (!grant) this.grants.set(key, (grant = { left: 0, next: 1, until: now + this.windowMs, spent: false }));
      return this.ask(key, grant, points);
    }
  }

  /** Asks Redis for more of the caller's points and spends `points` of them, or answers the refusal. */
  private async ask(key: string, grant: Grant, points: number): Promise<number | undefined> {
    const need = points - grant.left;
    let answer: [number, number, number] | undefined;
    let done!: () => void;
    grant.asking = new Promise<void>((resolve) => (done = resolve));
    try {
      answer = await this.run(`${this.options.keyPrefix}:${key}`, Math.max(need, Math.min(grant.next, this.cap)), need);
    } catch (err) {
      this.storeFailed(err);
    } finally {
      grant.asking = undefined;
      done();
    }
    if (!answer) {
      // Redis failed: this operation counts in memory, and the caller's next ones ask Redis again (their unspent grant is dropped).
      this.grants.delete(key);
      return spendInMemory(this.insurance, key, points);
    }
    const [granted, ms, left] = answer;
    grant.until = Date.now() + ms;
    grant.spent = left <= 0;
    if (granted === 0) return ms;
    grant.next = Math.min(this.cap, grant.next * 2);
    grant.left += granted - points;
    return undefined;
  }

  private async run(key: string, want: number, need: number): Promise<[number, number, number]> {
    const command = (this.redis as unknown as Record<string, (...args: (string | number)[]) => Promise<[number, number, number]>>)
      .rateLimitGrant;
    return command.call(this.redis, key, want, need, this.options.points, this.windowMs);
  }

  /** Forgets the grants of windows that have ended, once a window (the map holds only callers of the current one). */
  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + this.windowMs;
    for (const [key, grant] of this.grants) if (grant.until <= now && !grant.asking) this.grants.delete(key);
  }
}
