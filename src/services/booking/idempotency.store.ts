import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { IdempotencyKey } from '../../entities/booking/idempotency-key.entity.js';
import { column, execute, query, sql, type Sql } from '../common/sql.js';

/**
 * All SQL of the `idempotency_key` table. The hold and the confirmation embed the
 * pieces below (`keyLink`, `keyOutcome`) in their own statements, so a key's outcome
 * commits with the change it describes.
 */

/**
 * One key of one caller for one operation. `claim` is the fence of the request that
 * holds the key's running claim: every write a request makes to its key (link,
 * outcome, release, lease renewal) is conditioned on it, so a request that lost its
 * claim to a retry (its lease lapsed while it was stalled) can no longer act under it.
 */
export interface KeyScope {
  principal: string;
  operation: string;
  key: string;
  claim?: string;
}

/** How a key's request ended: the reservation it produced, or the error it answered. */
export interface KeyOutcome {
  reservationId?: string | null;
  error?: { code: string; message: string };
}

const ofKey = (scope: KeyScope) =>
  scope.claim === undefined
    ? sql`principal = ${scope.principal} and operation = ${scope.operation} and key = ${scope.key}`
    : sql`principal = ${scope.principal} and operation = ${scope.operation} and key = ${scope.key} and claim_id = ${scope.claim}::uuid`;

/** A new claim of a key: its scope with the claim's fence, the request's hash, and the lease and retention it starts with. */
export interface NewClaim {
  scope: KeyScope & { claim: string };
  requestHash: string;
  now: Date;
  leaseUntil: Date;
  expiresAt: Date;
}

/** How a claimed key starts: SQL expressions over the fragment's `from`, for a statement that claims and acts at once. */
export interface ClaimStart {
  /** 'running', or 'done' with an outcome already. */
  state: Sql;
  reservationId: Sql;
  errorCode: Sql;
  errorMessage: Sql;
}

/**
 * The INSERT that claims a new key, as a fragment: only one request can win it (on
 * conflict, nothing). `from` is the relation the row is selected from and `start` how the
 * key starts, over it (the hold claims a key as running with its reservation, or as done
 * with SOLD_OUT); `when` its condition. Returns the state inserted.
 */
export function keyClaimInsert(claim: NewClaim, start: ClaimStart, from: Sql = sql`(select 1) one`, when: Sql = sql`true`): Sql {
  const { scope } = claim;
  return sql`insert into idempotency_key (principal, operation, key, request_hash, state, claim_id, reservation_id, error_code,
                                          error_message, locked_until, created_at, expires_at)
             select ${scope.principal}, ${scope.operation}, ${scope.key}, ${claim.requestHash}, ${start.state}, ${scope.claim}::uuid,
                    ${start.reservationId}, ${start.errorCode}, ${start.errorMessage}, ${claim.leaseUntil.toISOString()}::timestamptz,
                    ${claim.now.toISOString()}::timestamptz, ${claim.expiresAt.toISOString()}::timestamptz
               from ${from}
              where ${when}
             on conflict do nothing
             returning state`;
}

/** A running claim with no outcome yet. */
const RUNNING: ClaimStart = { state: sql`'running'`, reservationId: sql`null::uuid`, errorCode: sql`null`, errorMessage: sql`null` };

/**
 * Claims the key for a new request, fenced by `claim.scope.claim`: an INSERT only one
 * request can win. Answers whether this one did.
 */
export async function insertClaim(em: EntityManager, claim: NewClaim): Promise<boolean> {
  const rows = await query(em, 'idempotency.insertClaim', keyClaimInsert(claim, RUNNING), z.object({ state: column.text }));
  return rows.length === 1;
}

/** The key's row as another request left it. */
export function readKey(em: EntityManager, scope: KeyScope): Promise<IdempotencyKey | null> {
  return em.fork().findOne(IdempotencyKey, { principal: scope.principal, operation: scope.operation, key: scope.key });
}

/**
 * Takes over a running claim whose lease ended before `now` (its request died, or
 * stalled past its lease): a new fence `claim` and a lease to `leaseUntil`. Answers
 * the reservation the previous holder had linked, or undefined when the lease is
 * still someone's.
 */
export async function takeOverLease(
  em: EntityManager,
  scope: KeyScope,
  takeover: { claim: string; now: Date; leaseUntil: Date },
): Promise<{ reservationId: string | null } | undefined> {
  const rows = await query(
    em,
    'idempotency.takeOverLease',
    sql`update idempotency_key
           set claim_id = ${takeover.claim}::uuid, locked_until = ${takeover.leaseUntil.toISOString()}::timestamptz
         where ${ofKey({ ...scope, claim: undefined })} and state = 'running'
           and locked_until < ${takeover.now.toISOString()}::timestamptz
        returning reservation_id`,
    z.object({ reservation_id: column.uuid.nullable() }),
  );
  return rows.length === 1 ? { reservationId: rows[0].reservation_id } : undefined;
}

/** Moves a running claim's lease to `leaseUntil` while its request works; false when the claim is no longer this one. */
export async function renewLease(em: EntityManager, scope: KeyScope, leaseUntil: Date): Promise<boolean> {
  const moved = await execute(
    em,
    'idempotency.renewLease',
    sql`update idempotency_key set locked_until = ${leaseUntil.toISOString()}::timestamptz
         where ${ofKey(scope)} and state = 'running'`,
  );
  return moved === 1;
}

/**
 * A SELECT of the key's row FOR UPDATE while `scope`'s claim is running, as a fragment:
 * a statement that creates the key's effect gates it on this, so only the claim's
 * current holder can, and a takeover waits for it to commit (and then inherits it).
 */
export function keyFence(scope: KeyScope): Sql {
  return sql`select 1 from idempotency_key where ${ofKey(scope)} and state = 'running' for update`;
}

/**
 * An UPDATE that records the key's outcome, as a fragment a statement can embed with its
 * own condition. Only a running claim takes one: an outcome once recorded is final, even
 * against a request that comes back to life after a retry took its claim over.
 */
export function keyOutcome(scope: KeyScope, outcome: KeyOutcome, when: Sql = sql`true`): Sql {
  return sql`update idempotency_key
                set state = 'done', reservation_id = coalesce(${outcome.reservationId ?? null}::uuid, reservation_id),
                    error_code = ${outcome.error?.code ?? null}, error_message = ${outcome.error?.message ?? null}
              where ${ofKey(scope)} and state = 'running' and ${when}`;
}

/** An UPDATE that links the reservation a running request created, as a fragment (the hold embeds it). */
export function keyLink(scope: KeyScope, reservationId: string, when: Sql = sql`true`): Sql {
  return sql`update idempotency_key set reservation_id = ${reservationId}::uuid where ${ofKey(scope)} and ${when}`;
}

/**
 * Links a running claim to the record its request made, in that record's transaction (a
 * retry inherits it). False when the claim is no longer `scope`'s: the transaction must
 * then not commit the record.
 */
export async function linkKey(em: EntityManager, scope: KeyScope, reservationId: string): Promise<boolean> {
  return (await execute(em, 'idempotency.linkKey', keyLink(scope, reservationId, sql`state = 'running'`))) === 1;
}

/** Undoes `linkKey` when the record it pointed at was given up, so the key's claim can be released; false when the claim is no longer `scope`'s. */
export async function unlinkKey(em: EntityManager, scope: KeyScope, reservationId: string): Promise<boolean> {
  const unlinked = await execute(
    em,
    'idempotency.unlinkKey',
    sql`update idempotency_key set reservation_id = null where ${ofKey(scope)} and reservation_id = ${reservationId}::uuid`,
  );
  return unlinked === 1;
}

export async function recordOutcome(em: EntityManager, scope: KeyScope, outcome: KeyOutcome): Promise<void> {
  await execute(em, 'idempotency.recordOutcome', keyOutcome(scope, outcome));
}

/** Forgets a running claim that produced no effect. */
export async function deleteClaim(em: EntityManager, scope: KeyScope): Promise<void> {
  await execute(
    em,
    'idempotency.deleteClaim',
    sql`delete from idempotency_key where ${ofKey(scope)} and state = 'running' and reservation_id is null`,
  );
}

/** Drops keys whose retention ended before `now`; answers how many. */
export function purgeKeys(em: EntityManager, now: Date): Promise<number> {
  return em.nativeDelete(IdempotencyKey, { expiresAt: { $lt: now } });
}
