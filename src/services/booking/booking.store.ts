import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { ReservationStatus } from '../../entities/booking/reservation.entity.js';
import { column, pgArray, query, sql, type Sql } from '../common/sql.js';
import { outboxInsert, outboxInsertJson, type NewOutboxEvent } from '../live/outbox.store.js';
import {
  availabilityDaysSql,
  freshPricing,
  inventoryLock,
  nightlyRateSql,
  roomTypeHotelSql,
  type StayHotel,
} from '../stays/stays.store.js';
import { keyClaimInsert, keyFence, keyLink, keyOutcome, type KeyScope, type NewClaim } from './idempotency.store.js';

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
export function reservationInsert(r: NewReservation | PricedInSql, when: Sql = sql`true`): Sql {
  const created = r.createdAt.toISOString();
  return sql`insert into reservation (id, hotel_id, room_type_id, principal, guest_name, guest_email, check_in, check_out,
                                      rooms, status, total_minor, currency, hold_expires_at, version, created_at, updated_at)
             select ${r.id}::uuid, ${r.hotelId}::uuid, ${r.roomTypeId}::uuid, ${r.principal}, ${r.guest.name},
                    ${r.guest.email}, ${r.checkIn}::date, ${r.checkOut}::date, ${r.rooms}::smallint, ${r.status},
                    (${r.totalMinor})::bigint, ${r.currency}, ${r.holdExpiresAt?.toISOString() ?? null}::timestamptz, 1,
                    ${created}::timestamptz, ${created}::timestamptz
              where ${when}
             returning *`;
}

/** A new reservation whose total the statement that inserts it computes. */
type PricedInSql = Omit<NewReservation, 'totalMinor'> & { totalMinor: Sql };

/** What the hold statement is asked to do: one stay of one room type, under one claim of an idempotency key. */
export interface StayHold {
  /** The PENDING reservation to create; its total is priced by the statement. */
  reservation: Omit<NewReservation, 'totalMinor'>;
  /** The nights of the stay, in date order. */
  nights: readonly string[];
  /**
   * The hotel the caller believes the room type is in: the statement writes only if the
   * room type's hotel is this one with this time zone and currency (the events' money
   * is formatted in it, and the caller checked the stay against today there).
   */
  hotel: StayHotel;
  /** False when the caller found the stay in the past: then the statement only reads. */
  writable: boolean;
  /** The availability event, written with its `days` as the statement leaves them. */
  availability: NewOutboxEvent;
  /** The reservation's status event. */
  status: NewOutboxEvent;
  /**
   * The idempotency key: a running claim of this request's, which the reservation is
   * linked to (`fence`), or a new claim that this statement makes (`claim`). A new claim
   * starts running with the reservation when the stay is held, or done with the
   * `soldOut` error when a night is not on sale or has no room; when the key was
   * there already, the statement changes nothing.
   */
  key: { fence: KeyScope } | { claim: NewClaim; soldOut: { code: string; notOnSale: string; notEnoughRoomsOn: string } };
}

/** How the hold statement ended. The reservation is there only if it wrote; otherwise the rest says why not. */
export interface HoldOutcome {
  /** The room type's hotel as stored (undefined: no such room type). */
  hotel: StayHotel | undefined;
  /** Every night has an inventory row and a base rate. */
  onSale: boolean;
  /** The first night without room for the stay, if any. */
  short: string | null;
  /** The key's claim was still the caller's (always, for a new claim). */
  fenced: boolean;
  /** For a new claim: the state the key was claimed in, undefined when it was not (it existed, or nothing was checked). */
  claimed: 'running' | 'done' | undefined;
  reservation: ReservationRow | undefined;
}

const holdRow = z
  .object({
    hold_hotel_id: column.uuid.nullable(),
    hold_timezone: column.text.nullable(),
    hold_currency: column.text.nullable(),
    hold_on_sale: column.boolean,
    hold_short: column.date.nullable(),
    hold_fenced: column.boolean,
    hold_claimed: z.enum(['running', 'done']).nullable(),
  })
  .catchall(z.unknown());

/**
 * The hold, in one statement, so atomic on its own and with its row locks held for
 * this statement only: takes the inventory lock on the stay's nights (in date order,
 * waiting for any writer before it) and the key's row; reads the rates and rules in
 * force once it holds them (`freshPricing`); checks that every night is on sale and has
 * room; and only then bumps each night's `reserved` and `version`, inserts the PENDING
 * reservation priced night by night at the occupancy it found (`nightlyRateSql`), its
 * availability event with each day as written (its version, counts and the rate of its
 * new occupancy) and its status event (after the row locks, so they follow commit order),
 * and links the idempotency key. Otherwise it changes nothing, and the outcome says why.
 * Under contention it waits for the locks instead of failing: there is nothing to retry.
 *
 * With a new claim of the key (`key.claim`), the statement also claims it (one commit
 * fewer per booking): running and linked when it holds the stay, done with SOLD_OUT
 * when it refuses it (so a retry gets SOLD_OUT again), and nothing at all, the stay
 * included, when the key was claimed before (the caller then takes the saga's path for
 * an existing key). The INSERT of a key a concurrent request is inserting waits for that
 * request's statement to commit, as `insertClaim` does.
 */
export async function holdStay(em: EntityManager, hold: StayHold): Promise<HoldOutcome> {
  const { reservation: r, hotel, nights } = hold;
  const n = nights.length;
  const rules = sql`(select min_occupancy_percent, adjustment_percent from pricing where kind = 'rule')`;
  const rateAt = (reserved: Sql, total: Sql) => nightlyRateSql(sql`nights.base`, reserved, total, rules);
  const days = availabilityDaysSql(sql`days`, hotel.currency);
  const events = sql`jsonb_build_array(jsonb_set(${JSON.stringify(hold.availability)}::jsonb, '{payload,days}', (${days})),
                                       ${JSON.stringify(hold.status)}::jsonb)`;
  const booked = sql`exists (select 1 from booked)`;
  const { key } = hold;
  const writing = sql`${hold.writable} and v.hotel_ok and v.on_sale and v.short is null and v.fenced`;
  // Fenced: this request's running claim, under its row lock. A new claim: its INSERT, after the verdict it records.
  const fence = 'fence' in key ? sql`fence as materialized (${keyFence(key.fence)}), ` : sql``;
  const fenced = 'fence' in key ? sql`exists (select 1 from fence)` : sql`true`;
  const claim =
    'claim' in key
      ? sql`claimed as (
          ${keyClaimInsert(
            key.claim,
            {
              state: sql`case when ${writing} then 'running' else 'done' end`,
              reservationId: sql`case when ${writing} then ${r.id}::uuid end`,
              errorCode: sql`case when ${writing} then null else ${key.soldOut.code} end`,
              errorMessage: sql`case when ${writing} then null when not v.on_sale then ${key.soldOut.notOnSale}
                                     else ${key.soldOut.notEnoughRoomsOn} || v.short::text end`,
            },
            sql`verdict v`,
            sql`${hold.writable} and v.hotel_ok`,
          )}
        ), `
      : sql``;
  const claimedRunning = 'claim' in key ? sql`and exists (select 1 from claimed where state = 'running')` : sql``;
  const [row] = await query(
    em,
    'booking.holdStay',
    sql`with hotel as materialized (
          ${roomTypeHotelSql(r.roomTypeId)}
        ), locked as materialized (
          ${inventoryLock({ roomTypeId: r.roomTypeId, from: r.checkIn, to: r.checkOut })}
        ), ${fence}pricing as materialized (
          select * from ${freshPricing(r.roomTypeId, r.checkIn, r.checkOut, sql`select count(*) from locked`)}
        ), nights as materialized (
          select l.date, l.total, l.reserved, l.sell_limit, p.amount_minor as base
            from locked l left join pricing p on p.kind = 'rate' and p.date = l.date
        ), verdict as materialized (
          select count(*) = ${n} and count(base) = ${n} as on_sale,
                 min(date) filter (where reserved + ${r.rooms} > sell_limit) as short,
                 ${fenced} as fenced,
                 exists (select 1 from hotel where id = ${hotel.id}::uuid and timezone = ${hotel.timezone}
                                                and currency = ${hotel.currency}) as hotel_ok
            from nights
        ), ${claim}inventory as (
          update room_type_inventory n set reserved = n.reserved + ${r.rooms}, version = n.version + 1
            from nights, verdict v
           where ${writing} ${claimedRunning}
             and n.room_type_id = ${r.roomTypeId}::uuid and n.date = nights.date
          returning n.date, n.total, n.reserved, n.sell_limit, n.version
        ), booked as (
          ${reservationInsert(
            { ...r, totalMinor: sql`select sum(${rateAt(sql`nights.reserved`, sql`nights.total`)}) * ${r.rooms} from nights` },
            sql`(select count(*) from inventory) = ${n}`,
          )}
        ), days as (
          select i.date, i.version, i.total, i.reserved, i.sell_limit, nights.base as base_minor,
                 ${rateAt(sql`i.reserved`, sql`i.total`)} as rate_minor
            from inventory i join nights using (date)
        ), events as (
          ${outboxInsertJson(r.hotelId, events, r.createdAt, booked)}
        )${'fence' in key ? sql`, linked as (${keyLink(key.fence, r.id, booked)})` : sql``}
        select h.id as hold_hotel_id, h.timezone as hold_timezone, h.currency as hold_currency,
               v.on_sale as hold_on_sale, v.short::text as hold_short, v.fenced as hold_fenced,
               ${'claim' in key ? sql`(select state from claimed)` : sql`null`} as hold_claimed, b.*
          from verdict v left join hotel h on true left join booked b on true`,
    holdRow,
  );
  const { hold_hotel_id, hold_timezone, hold_currency, hold_on_sale, hold_short, hold_fenced, hold_claimed, ...written } = row;
  return {
    hotel: hold_hotel_id ? { id: hold_hotel_id, timezone: hold_timezone!, currency: hold_currency! } : undefined,
    onSale: hold_on_sale,
    short: hold_short,
    fenced: hold_fenced,
    claimed: hold_claimed ?? undefined,
    reservation: written.id == null ? undefined : reservationRow.parse(written),
  };
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
