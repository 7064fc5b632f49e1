import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { column, pgArray, query, sql } from '../../common/sql.js';

/** A time slot as the timed-entry SQL reads and writes it. */
export interface SlotRow {
  id: string;
  exhibitionId: string;
  localDate: string;
  startsAt: Date;
  endsAt: Date;
  capacity: number;
  priceMinor: number;
}

const slotRow = z
  .object({
    id: column.uuid,
    exhibition_id: column.uuid,
    local_date: z.union([column.date, z.date()]),
    starts_at: column.timestamp,
    ends_at: column.timestamp,
    capacity: column.int,
    price_minor: column.bigint,
  })
  .transform((row) => ({
    id: row.id,
    exhibitionId: row.exhibition_id,
    localDate: typeof row.local_date === 'string' ? row.local_date : row.local_date.toISOString().slice(0, 10),
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    capacity: row.capacity,
    priceMinor: row.price_minor,
  }));

/** The exhibition's slots on local dates [from, to), locked for this transaction (their capacities before a change). */
export function lockSlots(tx: EntityManager, exhibitionId: string, from: string, to: string): Promise<SlotRow[]> {
  return query(
    tx,
    'timedEntry.lockSlots',
    sql`select * from time_slot
         where exhibition_id = ${exhibitionId}::uuid and local_date >= ${from}::date and local_date < ${to}::date
         for update`,
    slotRow,
  );
}

/**
 * Creates the planned slots, or gives those that exist (same start) the new end,
 * capacity and price: one statement for any number (a year of 5-minute slots is
 * 105,120), with the plan as arrays. Answers the slots, earliest first.
 */
export function upsertSlots(
  tx: EntityManager,
  exhibitionId: string,
  plan: readonly { id: string; localDate: string; startsAt: Date; endsAt: Date }[],
  capacity: number,
  priceMinor: number,
): Promise<SlotRow[]> {
  return query(
    tx,
    'timedEntry.upsertSlots',
    sql`insert into time_slot (id, exhibition_id, local_date, starts_at, ends_at, capacity, price_minor)
        select planned.id, ${exhibitionId}::uuid, planned.local_date, planned.starts_at, planned.ends_at, ${capacity}, ${priceMinor}
          from unnest(${pgArray(plan.map((slot) => slot.id))}::uuid[],
                      ${pgArray(plan.map((slot) => slot.localDate))}::date[],
                      ${pgArray(plan.map((slot) => slot.startsAt.toISOString()))}::timestamptz[],
                      ${pgArray(plan.map((slot) => slot.endsAt.toISOString()))}::timestamptz[])
               as planned(id, local_date, starts_at, ends_at)
        on conflict (exhibition_id, starts_at) do update
           set ends_at = excluded.ends_at, capacity = excluded.capacity, price_minor = excluded.price_minor,
               version = time_slot.version + 1
        returning *`,
    slotRow,
  ).then((rows) => rows.sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime()));
}
