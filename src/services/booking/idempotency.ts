import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { EntityManager } from '@mikro-orm/postgresql';
import { newId } from '../../entities/id.js';
import type { Clock } from '../common/clock.js';
import { badInput, DomainError, ErrorCode } from '../common/errors.js';
import {
  deleteClaim,
  insertClaim,
  purgeKeys,
  readKey,
  recordOutcome,
  renewLease,
  takeOverLease,
  type KeyScope,
  type NewClaim,
} from './idempotency.store.js';

export type { KeyScope, NewClaim };

export interface IdempotencySettings {
  /**
   * How long a running claim is its owner's without renewal; past it, a retry may take
   * over (its owner is presumed dead). The owner renews it every third of it while it works.
   */
  leaseMs: number;
  /** How long a duplicate waits for the first request before answering IDEMPOTENCY_KEY_IN_USE. */
  waitMs: number;
  /** How long a key is remembered (at least 24 hours). */
  retentionMs: number;
}

/**
 * What `begin` decided: this request does the work (under `scope`, which carries its
 * claim's fence), or the work was done and here is how it ended.
 */
export type Claim =
  | { kind: 'owner'; scope: KeyScope; reservationId: string | null }
  | { kind: 'replay'; reservationId: string | null; error: DomainError | null };

const keyInUse = () =>
  new DomainError(ErrorCode.IDEMPOTENCY_KEY_IN_USE, 'A request with this idempotency key is still being processed: retry shortly');

/**
 * The answer of a request whose claim a retry took over while it was stalled (its
 * lease lapsed): the retry is doing the work now, and this request did nothing under the key.
 */
export const claimLost = keyInUse;

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
 * A running claim has a short lease its owner renews (`keepLease`): a retry takes over
 * the claim of a request that died within `leaseMs`, and every claim has a fence
 * (KeyScope.claim) that the owner's writes are conditioned on, so a request that
 * stalled past its lease and comes back cannot act beside the one that took over.
 * Leases and retention are read from the clock; the wait for a running duplicate is
 * real time, since a client is waiting.
 */
export class IdempotencyKeys {
  constructor(
    private readonly em: EntityManager,
    private readonly settings: IdempotencySettings,
    private readonly clock: Clock,
  ) {}

  /**
   * A claim of the key for this request, as of now, not made yet: `begin` makes it, or a
   * statement that claims the key and does the work at once (the hotel hold) embeds it.
   */
  newClaim(scope: KeyScope, hash: string): NewClaim {
    validateKey(scope.key);
    const now = this.clock.now();
    return {
      scope: { principal: scope.principal, operation: scope.operation, key: scope.key, claim: newId() },
      requestHash: hash,
      now,
      leaseUntil: this.after(now, this.settings.leaseMs),
      expiresAt: this.after(now, this.settings.retentionMs),
    };
  }

  async begin(scope: KeyScope, hash: string): Promise<Claim> {
    validateKey(scope.key);
    const deadline = Date.now() + this.settings.waitMs;
    for (let attempt = 0; ; attempt++) {
      const fresh = this.newClaim(scope, hash);
      const claim = fresh.scope.claim;
      if (await insertClaim(this.em, fresh)) return { kind: 'owner', scope: fresh.scope, reservationId: null };

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
        const inherited = await takeOverLease(this.em, scope, { claim, now, leaseUntil: this.after(now, this.settings.leaseMs) });
        if (inherited) return { kind: 'owner', scope: { ...scope, claim }, reservationId: inherited.reservationId };
      }
      if (Date.now() >= deadline) throw keyInUse();
      await delay(Math.min(200, 20 * 2 ** Math.min(attempt, 4)) * (0.5 + Math.random()));
    }
  }

  /**
   * Renews the claim's lease every third of `leaseMs` until the returned function is
   * called (a request that runs longer than that: a slow gateway, a busy database). A
   * renewal that fails is left to the next one; a claim that was lost is not renewed again.
   */
  keepLease(scope: KeyScope, onError: (error: unknown) => void): () => void {
    let renewing = false;
    const timer = setInterval(() => {
      if (renewing) return;
      renewing = true;
      renewLease(this.em.fork(), scope, this.after(this.clock.now(), this.settings.leaseMs))
        .then((held) => {
          if (!held) clearInterval(timer);
        }, onError)
        .finally(() => (renewing = false));
    }, Math.max(1, Math.floor(this.settings.leaseMs / 3)));
    timer.unref();
    return () => clearInterval(timer);
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
