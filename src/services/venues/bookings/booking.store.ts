import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { ReservationStatus } from '../../../entities/booking/reservation.entity.js';
import { column, execute, pgArray, query, sql, type Sql } from '../../common/sql.js';

/**
 * Claims a PENDING booking whose payment deadline passed before `now`, for one sweeper:
 * FOR UPDATE SKIP LOCKED, so sweepers on other servers, the saga and a cancel are never
 * waited for. Answers whether this transaction has it.
 */
export async function claimExpiredBooking(tx: EntityManager, bookingId: string, now: Date): Promise<boolean> {
  const rows = await query(
    tx,
    'venues.claimExpiredBooking',
    sql`select id from booking
         where id = ${bookingId}::uuid and status = ${ReservationStatus.PENDING}
           and hold_expires_at < ${now.toISOString()}::timestamptz
           for update skip locked`,
    z.object({ id: column.uuid }),
  );
  return rows.length === 1;
}

// ---- the venue audit's reads (see ../audit.ts) ----

/** The offerings to audit: the given ones, or every one that has bookings. */
const auditedOfferings = (offeringIds: readonly string[] | undefined) =>
  offeringIds ? sql`any(${pgArray(offeringIds)}::uuid[])` : sql`any(array(select distinct offering_id from booking))`;

/**
 * The engine cells of live booking items, one row per cell: a seat is its own cell;
 * tickets and tables name theirs in `units`.
 */
const liveUnits = (offerings: Sql) => sql`
  select i.offering_id, u.unit_id, i.booking_id
    from booking_item i
    cross join lateral (
      select i.seat_id as unit_id where i.seat_id is not null
      union all select e->>'id' from jsonb_array_elements(coalesce(i.units, '[]'::jsonb)) e
    ) u
   where i.live and i.offering_id = ${offerings}`;

/** Invariant 6: cells of one offering (a seat, a ticket, a table's 5 minutes) in two live bookings. */
export function unitsSoldTwice(em: EntityManager, offeringIds?: readonly string[]) {
  return query(
    em,
    'venues.audit.unitsSoldTwice',
    sql`select offering_id, unit_id, count(*) as bookings from (${liveUnits(auditedOfferings(offeringIds))}) live
         group by offering_id, unit_id having count(*) > 1`,
    z.object({ offering_id: column.uuid, unit_id: column.text, bookings: column.bigint }),
  );
}

/** Invariant 6 for time slots: live tickets beyond a slot's capacity. */
export function slotsOverCapacity(em: EntityManager, offeringIds?: readonly string[]) {
  return query(
    em,
    'venues.audit.slotsOverCapacity',
    sql`select s.id, s.capacity, sum(i.quantity) as sold from booking_item i join time_slot s on s.id = i.time_slot_id
         where i.live and i.offering_id = ${auditedOfferings(offeringIds)}
         group by s.id, s.capacity having sum(i.quantity) > s.capacity`,
    z.object({ id: column.uuid, capacity: column.int, sold: column.bigint }),
  );
}

/** Invariant 7's PostgreSQL side: the live cells of an offering with their booking and its status. */
export function liveCells(em: EntityManager, offeringId: string) {
  return query(
    em,
    'venues.audit.liveCells',
    sql`select live.unit_id, live.booking_id, b.status from (${liveUnits(sql`${offeringId}::uuid`)}) live
          join booking b on b.id = live.booking_id`,
    z.object({ unit_id: column.text, booking_id: column.uuid, status: z.enum(ReservationStatus) }),
  );
}

/** Invariant 9 (3 for bookings): every booking with what the built-in test gateway charged and refunded for it. */
export function bookingPayments(em: EntityManager, offeringIds?: readonly string[]) {
  return query(
    em,
    'venues.audit.payments',
    sql`select b.id, b.status, b.total_minor, b.refund_due, c.status as charge, c.amount_minor, c.refunded_minor
          from booking b left join test_gateway_charge c on c.idempotency_key = b.id::text
         where b.offering_id = ${auditedOfferings(offeringIds)}`,
    z.object({
      id: column.uuid,
      status: z.enum(ReservationStatus),
      total_minor: column.bigint,
      refund_due: column.boolean,
      charge: z.enum(['succeeded', 'declined']).nullable(),
      amount_minor: column.bigint.nullable(),
      refunded_minor: column.bigint.nullable(),
    }),
  );
}

/** PENDING bookings whose payment deadline passed before `before`. */
export function stalePendingBookings(em: EntityManager, before: Date, offeringIds?: readonly string[]) {
  return query(
    em,
    'venues.audit.stalePending',
    sql`select id from booking
         where status = ${ReservationStatus.PENDING} and hold_expires_at < ${before.toISOString()}::timestamptz
           and offering_id = ${auditedOfferings(offeringIds)}`,
    z.object({ id: column.uuid }),
  );
}

/**
 * Marks a booking's seats as following its status, if the status is still `status`.
 * Bookkeeping, not a change a client made: the version stays.
 */
export async function markSeatsSynced(em: EntityManager, bookingId: string, status: ReservationStatus): Promise<void> {
  await execute(
    em,
    'venues.markSeatsSynced',
    sql`update booking set seats_synced = true where id = ${bookingId}::uuid and status = ${status}`,
  );
}

/** Which of these ids are offerings of this database (a Redis may serve more than one, as in tests). */
export async function knownOfferings(em: EntityManager, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await query(
    em,
    'venues.audit.knownOfferings',
    sql`select id from performance where id = any(${pgArray(ids)}::uuid[])
        union all select id from exhibition where id = any(${pgArray(ids)}::uuid[])
        union all select id from restaurant where id = any(${pgArray(ids)}::uuid[])`,
    z.object({ id: column.uuid }),
  );
  return rows.map((row) => row.id);
}

/** Which of these seats of a performance are in a live booking. */
export async function soldElsewhere(em: EntityManager, performanceId: string, seatIds: readonly string[]): Promise<string[]> {
  const rows = await query(
    em,
    'venues.soldElsewhere',
    sql`select seat_id from booking_item
         where offering_id = ${performanceId}::uuid and live and seat_id = any(${pgArray(seatIds)}::text[])`,
    z.object({ seat_id: column.text }),
  );
  return rows.map((row) => row.seat_id);
}
