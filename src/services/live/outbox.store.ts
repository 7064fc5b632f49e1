import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { OutboxEvent } from '../../entities/live/outbox-event.entity.js';
import { column, execute, pgArray, query, sql, type Sql } from '../common/sql.js';

/**
 * All SQL of the outbox: events written in the transaction of the change they
 * describe, and the relay's reads and stamps. Plain SQL, because the inserts are
 * embedded in other domains' statements and the relay works in batches; the entity
 * (OutboxEvent) declares the table and serves the one single-table delete.
 */

/** An event to write to the outbox: its topic and its payload (which carries the event id). */
export interface NewOutboxEvent<Payload extends { eventId: string } = { eventId: string }> {
  topic: string;
  payload: Payload;
}

/**
 * An INSERT of these events for one hotel, as a fragment: a statement that changes
 * something embeds it as a CTE (the hold, the confirmation) with `when` naming its
 * condition (e.g. that the reservation row was written), so the events commit with the
 * change and only if it happened.
 */
export function outboxInsert(hotelId: string, events: readonly NewOutboxEvent[], at: Date, when: Sql = sql`true`): Sql {
  return outboxInsertJson(hotelId, sql`${JSON.stringify(events)}::jsonb`, at, when);
}

/**
 * `outboxInsert` of events given as an SQL expression of a jsonb array of
 * { topic, payload } objects: for a statement that builds part of a payload from the
 * rows it writes (the hold's availability event).
 */
export function outboxInsertJson(hotelId: string, events: Sql, at: Date, when: Sql = sql`true`): Sql {
  return sql`insert into outbox (event_id, topic, hotel_id, payload, created_at)
             select (e->'payload'->>'eventId')::uuid, e->>'topic', ${hotelId}::uuid, e->'payload', ${at.toISOString()}::timestamptz
               from jsonb_array_elements(${events}) as e
              where ${when}`;
}

/**
 * Inserts the events now, in the caller's transaction. Callers write them after taking
 * the row locks of what changed, so the events' `seq` follows the commit order of
 * changes to the same rows.
 */
export async function insertEvents(em: EntityManager, hotelId: string, events: readonly NewOutboxEvent[], at: Date): Promise<void> {
  if (events.length > 0) await execute(em, 'outbox.insertEvents', outboxInsert(hotelId, events, at));
}

/** A committed outbox event on its way out. */
export type OutboxRow = Pick<OutboxEvent, 'seq' | 'eventId' | 'topic' | 'hotelId'> & { payload: Record<string, unknown> };

/** Any constant all relays agree on: the key of the advisory lock that makes one of them the publisher. */
const RELAY_LOCK = 7_301_931;

/** Makes this transaction the one publisher, if no other relay is; answers whether it is. */
export async function tryLockRelay(tx: EntityManager): Promise<boolean> {
  const [row] = await query(
    tx,
    'outbox.tryLockRelay',
    sql`select pg_try_advisory_xact_lock(${RELAY_LOCK}) as locked`,
    z.object({ locked: column.boolean }),
  );
  return row.locked;
}

const outboxRow = z
  .object({
    seq: column.bigint,
    event_id: column.uuid,
    topic: column.text,
    hotel_id: column.uuid,
    payload: z.record(z.string(), z.unknown()),
  })
  .transform((row): OutboxRow => ({
    seq: row.seq,
    eventId: row.event_id,
    topic: row.topic,
    hotelId: row.hotel_id,
    payload: row.payload,
  }));

/** The oldest unpublished events, in commit order of the rows they describe. */
export function readUnpublished(tx: EntityManager, limit: number): Promise<OutboxRow[]> {
  return query(
    tx,
    'outbox.readUnpublished',
    sql`select seq, event_id, topic, hotel_id, payload from outbox where published_at is null order by seq limit ${limit}`,
    outboxRow,
  );
}

export async function markPublished(tx: EntityManager, rows: readonly OutboxRow[], at: Date): Promise<void> {
  await execute(
    tx,
    'outbox.markPublished',
    sql`update outbox set published_at = ${at.toISOString()}::timestamptz
         where seq = any(${pgArray(rows.map((row) => row.seq))}::bigint[])`,
  );
}

/** Drops events published before `before` (they live on in the Redis stream); answers how many. */
export function purgePublished(em: EntityManager, before: Date): Promise<number> {
  return em.nativeDelete(OutboxEvent, { publishedAt: { $lt: before } });
}

/** How many committed events the relay has not published yet. */
export async function countUnpublished(em: EntityManager): Promise<number> {
  const [row] = await query(
    em,
    'outbox.countUnpublished',
    sql`select count(*)::int as count from outbox where published_at is null`,
    z.object({ count: column.int }),
  );
  return row.count;
}
