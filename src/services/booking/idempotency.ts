import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Clock } from '../common/clock.js';
import { badInput, DomainError, ErrorCode } from '../common/errors.js';
import {
  deleteClaim,
  insertClaim,
  purgeKeys,
  readKey,
  recordOutcome,
  takeOverLease,
  type KeyScope,
} from './idempotency.store.js';

export type { KeyScope };

export interface IdempotencySettings {
  /** How long a running claim is its owner's; past it, a retry may take over (its owner is presumed dead). */
  leaseMs: number;
  /** How long a duplicate waits for the first request before answering IDEMPOTENCY_KEY_IN_USE. */
  waitMs: number;
  /** How long a key is remembered (at least 24 hours). */
  retentionMs: number;
}

/** What `begin` decided: this request does the work, or the work was done and here is how it ended. */
export type Claim =
  | { kind: 'owner'; reservationId: string | null }
  | { kind: 'replay'; reservationId: string | null; error: DomainError | null };

export function validateKey(key: string): void {
  if (key.length < 8 || key.length > 255) throw badInput('idempotencyKey', 'must be 8 to 255 characters');
}

/** sha256 of the input, so the same key with other input is told apart. */
export function requestHash(input: unknown): string {
  return createHash('sha256').update(JSON.stringify(input)).digest('hex');
}

/**
 * Idempotency keys with Stripe's semantics, scoped to the caller and the operation.
 * The first request claims the key with an INSERT that only one can win; the others
 * wait for its outcome. Outcomes (a reservation, or the error it ended with) are kept
 * for `retentionMs`; a transient failure (BUSY) releases the key so a retry runs again.
 * Leases and retention are read from the clock; the wait for a running duplicate is
 * real time, since a client is waiting.
 */
export class IdempotencyKeys {
  constructor(
    private readonly em: EntityManager,
    private readonly settings: IdempotencySettings,
    private readonly clock: Clock,
  ) {}

  async begin(scope: KeyScope, hash: string): Promise<Claim> {
    validateKey(scope.key);
    const deadline = Date.now() + this.settings.waitMs;
    for (let attempt = 0; ; attempt++) {
      const now = this.clock.now();
      const claimed = await insertClaim(this.em, scope, {
        requestHash: hash,
        now,
        leaseUntil: this.after(now, this.settings.leaseMs),
        expiresAt: this.after(now, this.settings.retentionMs),
      });
      if (claimed) return { kind: 'owner', reservationId: null };

      const row = await readKey(this.em, scope);
      if (row) {
        if (row.requestHash !== hash) {
          throw new DomainError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            'This idempotency key was used before with different input',
          );
        }
        if (row.state === 'done') {
          const error = row.errorCode ? new DomainError(row.errorCode as ErrorCode, row.errorMessage ?? '') : null;
          return { kind: 'replay', reservationId: row.reservationId, error };
        }
        // A running claim whose lease ran out belonged to a request that died: the first retry inherits it.
        const now = this.clock.now();
        const inherited = await takeOverLease(this.em, scope, now, this.after(now, this.settings.leaseMs));
        if (inherited) return { kind: 'owner', reservationId: inherited.reservationId };
      }
      if (Date.now() >= deadline) {
        throw new DomainError(
          ErrorCode.IDEMPOTENCY_KEY_IN_USE,
          'A request with this idempotency key is still being processed: retry shortly',
        );
      }
      await delay(Math.min(200, 20 * 2 ** Math.min(attempt, 4)) * (0.5 + Math.random()));
    }
  }

  /** Records the outcome; pass `tx` to record it in the transaction that produced it. */
  async finish(
    scope: KeyScope,
    outcome: { reservationId?: string | null; error?: DomainError },
    tx: EntityManager = this.em,
  ): Promise<void> {
    await recordOutcome(tx, scope, outcome);
  }

  /** Forgets a claim that produced no effect, so a retry with the key runs afresh. */
  async release(scope: KeyScope): Promise<void> {
    await deleteClaim(this.em, scope);
  }

  /** Drops keys whose retention ended before `now` (by default the clock's); returns how many. */
  purgeExpired(now: Date = this.clock.now()): Promise<number> {
    return purgeKeys(this.em, now);
  }

  private after(now: Date, ms: number): Date {
    return new Date(now.getTime() + ms);
  }
}
