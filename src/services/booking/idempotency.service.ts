import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput, DomainError, ErrorCode } from '../common/errors.js';

export interface IdempotencySettings {
  /** How long a running claim is its owner's; past it, a retry may take over (its owner is presumed dead). */
  leaseMs: number;
  /** How long a duplicate waits for the first request before answering IDEMPOTENCY_KEY_IN_USE. */
  waitMs: number;
  /** How long a key is remembered (at least 24 hours). */
  retentionMs: number;
}

export interface KeyScope {
  principal: string;
  operation: string;
  key: string;
}

/** What `begin` decided: this request does the work, or the work was done and here is how it ended. */
export type Claim =
  | { kind: 'owner'; reservationId: string | null }
  | { kind: 'replay'; reservationId: string | null; error: DomainError | null };

interface Row {
  request_hash: string;
  state: 'running' | 'done';
  reservation_id: string | null;
  error_code: string | null;
  error_message: string | null;
}

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
 */
export class IdempotencyStore {
  constructor(
    private readonly em: EntityManager,
    private readonly settings: IdempotencySettings,
  ) {}

  async begin(scope: KeyScope, hash: string): Promise<Claim> {
    validateKey(scope.key);
    const deadline = Date.now() + this.settings.waitMs;
    for (let attempt = 0; ; attempt++) {
      const claimed = await this.em.execute(
        `insert into idempotency_key
           (principal, operation, key, request_hash, state, locked_until, created_at, expires_at)
         values (?, ?, ?, ?, 'running', now() + ? * interval '1 millisecond', now(), now() + ? * interval '1 millisecond')
         on conflict do nothing
         returning principal`,
        [scope.principal, scope.operation, scope.key, hash, this.settings.leaseMs, this.settings.retentionMs],
      );
      if (claimed.length === 1) return { kind: 'owner', reservationId: null };

      const row = await this.read(scope);
      if (row) {
        if (row.request_hash !== hash) {
          throw new DomainError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            'This idempotency key was used before with different input',
          );
        }
        if (row.state === 'done') {
          const error = row.error_code ? new DomainError(row.error_code as ErrorCode, row.error_message ?? '') : null;
          return { kind: 'replay', reservationId: row.reservation_id, error };
        }
        const takenOver = await this.takeOverExpired(scope);
        if (takenOver) return takenOver;
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
    await tx.execute(
      `update idempotency_key set state = 'done', reservation_id = coalesce(?, reservation_id),
         error_code = ?, error_message = ?
       where principal = ? and operation = ? and key = ?`,
      [
        outcome.reservationId ?? null,
        outcome.error?.code ?? null,
        outcome.error?.message ?? null,
        scope.principal,
        scope.operation,
        scope.key,
      ],
    );
  }

  /** Forgets a claim that produced no effect, so a retry with the key runs afresh. */
  async release(scope: KeyScope): Promise<void> {
    await this.em.execute(
      `delete from idempotency_key
       where principal = ? and operation = ? and key = ? and state = 'running' and reservation_id is null`,
      [scope.principal, scope.operation, scope.key],
    );
  }

  /** Drops keys past their retention; returns how many. */
  async purgeExpired(): Promise<number> {
    const result = await this.em.execute('delete from idempotency_key where expires_at < now()', [], 'run');
    return (result as { affectedRows?: number }).affectedRows ?? 0;
  }

  private async read(scope: KeyScope): Promise<Row | undefined> {
    const rows = await this.em.execute<Row[]>(
      `select request_hash, state, reservation_id, error_code, error_message
       from idempotency_key where principal = ? and operation = ? and key = ?`,
      [scope.principal, scope.operation, scope.key],
    );
    return rows[0];
  }

  /** A running claim whose lease ran out belonged to a request that died: the first retry inherits it. */
  private async takeOverExpired(scope: KeyScope): Promise<Claim | undefined> {
    const rows = await this.em.execute<{ reservation_id: string | null }[]>(
      `update idempotency_key set locked_until = now() + ? * interval '1 millisecond'
       where principal = ? and operation = ? and key = ? and state = 'running' and locked_until < now()
       returning reservation_id`,
      [this.settings.leaseMs, scope.principal, scope.operation, scope.key],
    );
    return rows.length === 1 ? { kind: 'owner', reservationId: rows[0].reservation_id } : undefined;
  }
}
