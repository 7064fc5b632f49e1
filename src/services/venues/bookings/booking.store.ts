import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { ReservationStatus } from '../../../entities/booking/reservation.entity.js';
import { column, execute, pgArray, query, sql } from '../../common/sql.js';

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

/** The performances to audit: the given ones, or every one that has bookings. */
const auditedPerformances = (performanceIds: readonly string[] | undefined) =>
  performanceIds
    ? sql`any(${pgArray(performanceIds)}::uuid[])`
    : sql`any(array(select distinct offering_id from booking where kind = 'PERFORMANCE'))`;

/** Invariant 6: seats of one performance in two live bookings (the unique index makes this impossible; the audit proves it). */
export function seatsSoldTwice(em: EntityManager, performanceIds?: readonly string[]) {
  return query(
    em,
    'venues.audit.seatsSoldTwice',
    sql`select offering_id, seat_id, count(*) as bookings from booking_item
         where live and seat_id is not null and offering_id = ${auditedPerformances(performanceIds)}
         group by offering_id, seat_id having count(*) > 1`,
    z.object({ offering_id: column.uuid, seat_id: column.text, bookings: column.bigint }),
  );
}

/** Invariant 7's PostgreSQL side: the live seats of a performance with their booking and its status. */
export function liveSeats(em: EntityManager, performanceId: string) {
  return query(
    em,
    'venues.audit.liveSeats',
    sql`select i.seat_id, i.booking_id, b.status from booking_item i join booking b on b.id = i.booking_id
         where i.offering_id = ${performanceId}::uuid and i.live and i.seat_id is not null`,
    z.object({ seat_id: column.text, booking_id: column.uuid, status: z.enum(ReservationStatus) }),
  );
}

/** Invariant 9 (3 for bookings): every booking with what the built-in test gateway charged and refunded for it. */
export function bookingPayments(em: EntityManager, performanceIds?: readonly string[]) {
  return query(
    em,
    'venues.audit.payments',
    sql`select b.id, b.status, b.total_minor, b.refund_due, c.status as charge, c.amount_minor, c.refunded_minor
          from booking b left join test_gateway_charge c on c.idempotency_key = b.id::text
         where b.offering_id = ${auditedPerformances(performanceIds)}`,
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
export function stalePendingBookings(em: EntityManager, before: Date, performanceIds?: readonly string[]) {
  return query(
    em,
    'venues.audit.stalePending',
    sql`select id from booking
         where status = ${ReservationStatus.PENDING} and hold_expires_at < ${before.toISOString()}::timestamptz
           and offering_id = ${auditedPerformances(performanceIds)}`,
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

/** Which of these ids are performances of this database (a Redis may serve more than one, as in tests). */
export async function knownPerformances(em: EntityManager, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await query(
    em,
    'venues.audit.knownPerformances',
    sql`select id from performance where id = any(${pgArray(ids)}::uuid[])`,
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
