import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { ReservationStatus } from '../../entities/booking/reservation.entity.js';
import { column, pgArray, query, sql, type Sql } from '../common/sql.js';
import { outboxInsert, type NewOutboxEvent } from '../live/outbox.store.js';
import { inventoryLock, type InventoryRow } from '../stays/stays.store.js';
import { keyFence, keyLink, keyOutcome, type KeyScope } from './idempotency.store.js';

/**
 * The booking domain's SQL: the hold and the confirmation, each one statement on the
 * hottest path of the server (see README "Development" for why these are SQL), the
 * sweeper's claim of an expired hold, and the invariant audit's reads. Reservations
 * are otherwise read and moved through the ORM.
 */

/** A reservation row as `returning *` gives it; mapped into the entity by the caller's context. */
const reservationRow = z
  .object({ id: column.uuid, status: z.enum(ReservationStatus), hotel_id: column.uuid })
  .catchall(z.unknown());
export type ReservationRow = z.infer<typeof reservationRow>;

/** A new reservation's row. */
export interface NewReservation {
  id: string;
  hotelId: string;
  roomTypeId: string;
  principal: string;
  guest: { name: string; email: string };
  checkIn: string;
  checkOut: string;
  rooms: number;
  totalMinor: number;
  currency: string;
  status: ReservationStatus;
  holdExpiresAt: Date | null;
  createdAt: Date;
}

/** The INSERT of a reservation, as a fragment: the hold embeds it with its condition (every inventory row was bumped). */
export function reservationInsert(r: NewReservation, when: Sql = sql`true`): Sql {
  const created = r.createdAt.toISOString();
  return sql`insert into reservation (id, hotel_id, room_type_id, principal, guest_name, guest_email, check_in, check_out,
                                      rooms, status, total_minor, currency, hold_expires_at, version, created_at, updated_at)
             select ${r.id}::uuid, ${r.hotelId}::uuid, ${r.roomTypeId}::uuid, ${r.principal}, ${r.guest.name},
                    ${r.guest.email}, ${r.checkIn}::date, ${r.checkOut}::date, ${r.rooms}::smallint, ${r.status},
                    ${r.totalMinor}::bigint, ${r.currency}, ${r.holdExpiresAt?.toISOString() ?? null}::timestamptz, 1,
                    ${created}::timestamptz, ${created}::timestamptz
              where ${when}
             returning *`;
}

/** Everything the hold statement writes: a PENDING reservation, and what goes with it. */
export interface HoldRecord extends NewReservation {
  /** The inventory rows as read, with the versions the hold was priced at. */
  inventory: readonly Pick<InventoryRow, 'date' | 'version'>[];
  events: readonly NewOutboxEvent[];
  key: KeyScope;
}

/**
 * One statement, so atomic on its own: takes the inventory lock on the stay's rows
 * and the key's row and, only if every version is still the one the hold was priced at
 * and the key's claim is still this request's, bumps their `reserved`, inserts the
 * PENDING reservation and its outbox events (after the row locks, so they follow commit
 * order) and links the idempotency key. Otherwise it changes nothing and answers
 * undefined. The locks are held for this statement only.
 */
export async function insertHold(em: EntityManager, hold: HoldRecord): Promise<ReservationRow | undefined> {
  const nights = hold.inventory.length;
  const booked = sql`exists (select 1 from booked)`;
  const rows = await query(
    em,
    'booking.insertHold',
    sql`with held as (
          select * from unnest(${pgArray(hold.inventory.map((row) => row.date))}::date[],
                               ${pgArray(hold.inventory.map((row) => row.version))}::int[]) as held(date, version)
        ), locked as materialized (
          ${inventoryLock({ roomTypeId: hold.roomTypeId, from: hold.checkIn, to: hold.checkOut })}
        ), fence as materialized (
          ${keyFence(hold.key)}
        ), unchanged as (
          select count(*) = ${nights} and exists (select 1 from fence) as ok from locked join held using (date, version)
        ), inventory as (
          update room_type_inventory n set reserved = n.reserved + ${hold.rooms}, version = n.version + 1
            from held, unchanged
           where unchanged.ok and n.room_type_id = ${hold.roomTypeId}::uuid and n.date = held.date
             and n.version = held.version
          returning n.date
        ), booked as (
          ${reservationInsert(hold, sql`(select count(*) from inventory) = ${nights}`)}
        ), events as (
          ${outboxInsert(hold.hotelId, hold.events, hold.createdAt, booked)}
        ), linked as (
          ${keyLink(hold.key, hold.id, booked)}
        )
        select * from booked`,
    reservationRow,
  );
  return rows[0];
}

/**
 * PENDING -> CONFIRMED once the charge succeeded, with its status event and the key's
 * outcome, in one statement. The status test runs under the row lock the UPDATE takes,
 * so a sweeper or a cancel that moved the reservation first wins: then nothing changes
 * and the answer is undefined.
 */
export async function confirmPending(
  em: EntityManager,
  confirmation: { reservationId: string; hotelId: string; event: NewOutboxEvent; key: KeyScope; at: Date },
): Promise<ReservationRow | undefined> {
  const { reservationId, hotelId, event, key, at } = confirmation;
  const moved = sql`exists (select 1 from moved)`;
  const rows = await query(
    em,
    'booking.confirmPending',
    sql`with moved as (
          update reservation
             set status = ${ReservationStatus.CONFIRMED}, hold_expires_at = null, version = version + 1,
                 updated_at = ${at.toISOString()}::timestamptz
           where id = ${reservationId}::uuid and status = ${ReservationStatus.PENDING}
          returning *
        ), event as (
          ${outboxInsert(hotelId, [event], at, moved)}
        ), outcome as (
          ${keyOutcome(key, { reservationId }, moved)}
        )
        select * from moved`,
    reservationRow,
  );
  return rows[0];
}

/**
 * Claims a PENDING reservation whose hold ended before `now`, for one sweeper: FOR
 * UPDATE SKIP LOCKED, so sweepers on other servers, the saga and a cancel are never
 * waited for. Answers whether this transaction has it.
 */
export async function claimExpiredHold(tx: EntityManager, reservationId: string, now: Date): Promise<boolean> {
  const rows = await query(
    tx,
    'booking.claimExpiredHold',
    sql`select id from reservation
         where id = ${reservationId}::uuid and status = ${ReservationStatus.PENDING}
           and hold_expires_at < ${now.toISOString()}::timestamptz
           for update skip locked`,
    z.object({ id: column.uuid }),
  );
  return rows.length === 1;
}

// ---- the invariant audit's reads (see audit.ts) ----

/** The hotels to audit: the given ones, or every hotel that has reservations. */
const auditedHotels = (hotelIds: readonly string[] | undefined) =>
  hotelIds
    ? sql`any(${pgArray(hotelIds)}::uuid[])`
    : sql`any(array(select distinct hotel_id from reservation))`;

/** Invariant 1: inventory rows whose `reserved` is out of bounds or differs from the rooms of the reservations holding them. */
export function inventoryMismatches(em: EntityManager, hotelIds?: readonly string[]) {
  return query(
    em,
    'booking.audit.inventory',
    sql`select i.room_type_id, i.date::text as date, i.reserved, i.sell_limit, coalesce(sum(r.rooms), 0) as held
          from room_type_inventory i
          left join reservation r on r.room_type_id = i.room_type_id
               and r.status in (${ReservationStatus.PENDING}, ${ReservationStatus.CONFIRMED})
               and r.check_in <= i.date and r.check_out > i.date
         where i.hotel_id = ${auditedHotels(hotelIds)}
         group by i.room_type_id, i.date, i.reserved, i.sell_limit
        having i.reserved <> coalesce(sum(r.rooms), 0) or i.reserved < 0 or i.reserved > i.sell_limit`,
    z.object({
      room_type_id: column.uuid,
      date: column.date,
      reserved: column.int,
      sell_limit: column.int,
      held: column.bigint,
    }),
  );
}

/** Invariant 2: reserve keys whose reservation is missing or belongs to another principal. */
export function keysWithForeignEffects(em: EntityManager, hotelIds?: readonly string[]) {
  return query(
    em,
    'booking.audit.keys',
    sql`select k.principal, k.key, k.reservation_id
          from idempotency_key k left join reservation r on r.id = k.reservation_id
         where k.operation = 'reserve' and k.reservation_id is not null
           and (r.id is null or r.principal <> k.principal)
           and ${hotelIds ? sql`(r.id is null or r.hotel_id = ${auditedHotels(hotelIds)})` : sql`true`}`,
    z.object({ principal: column.text, key: column.text, reservation_id: column.uuid }),
  );
}

/** Invariant 3's material: every reservation with what the built-in test gateway charged and refunded for it. */
export function reservationPayments(em: EntityManager, hotelIds?: readonly string[]) {
  return query(
    em,
    'booking.audit.payments',
    sql`select r.id, r.status, r.total_minor, r.refund_due, c.status as charge, c.amount_minor, c.refunded_minor
          from reservation r left join test_gateway_charge c on c.idempotency_key = r.id::text
         where r.hotel_id = ${auditedHotels(hotelIds)}`,
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

/** Invariant 4: PENDING holds whose deadline passed before `before`. */
export function staleHolds(em: EntityManager, before: Date, hotelIds?: readonly string[]) {
  return query(
    em,
    'booking.audit.staleHolds',
    sql`select id from reservation
         where status = ${ReservationStatus.PENDING} and hold_expires_at < ${before.toISOString()}::timestamptz
           and hotel_id = ${auditedHotels(hotelIds)}`,
    z.object({ id: column.uuid }),
  );
}
