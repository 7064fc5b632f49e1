import { LockMode, OptimisticLockError } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Hotel } from '../../entities/catalog/hotel.entity.js';
import { newId } from '../../entities/id.js';
import { InventoryNight } from '../../entities/stays/inventory-night.entity.js';
import { HOLDING_STATUSES, Reservation, ReservationStatus } from '../../entities/booking/reservation.entity.js';
import { DomainError, ErrorCode, notFound } from '../common/errors.js';
import type { KeyScope } from './idempotency.service.js';
import { dayViews, loadStayData, type DayView, type NightCounts } from '../stays/inventory-days.js';
import { availabilityEvent, recordAvailabilityChange, recordEvent, type OutboxEventData } from '../live/outbox.js';
import { nightlyRate, type PricingRuleValue } from '../stays/pricing.js';
import { assertNotPast, type Stay } from '../stays/stay.validation.js';

export const RESERVATION_TOPIC = 'reservation';

/** What a hold needs of the hotel: plain values, read with the nights. */
interface HoldHotel {
  id: string;
  timezone: string;
  currency: string;
}

/** Everything a new reservation needs besides the nights. */
export interface HoldRequest {
  roomTypeId: string;
  stay: Stay;
  principal: string;
  guest: { name: string; email: string };
  holdExpiresAt: Date;
  /** The idempotency key the reservation is linked to, in the transaction that creates it. */
  key: KeyScope;
}

const soldOut = (message: string) => new DomainError(ErrorCode.SOLD_OUT, message);

/** A night of the stay as read for a hold: its counts and version, its base rate, the room type's rules and hotel. */
interface StayNightRow {
  hotel_id: string;
  timezone: string;
  currency: string;
  date: string;
  total: number;
  reserved: number;
  sell_limit: number;
  version: number;
  amount_minor: string | number | null;
  rules: [minOccupancyPercent: number, adjustmentPercent: number][];
}

/**
 * Holds the nights of a stay and creates the PENDING reservation (ARCHITECTURE.md,
 * step 2). The optimistic attempt reads the nights with their versions and prices them
 * at their occupancy before this booking; then one statement bumps them where every
 * version is still the one read, inserts the reservation and its outbox events and
 * links the idempotency key. If any night moved meanwhile it throws
 * OptimisticLockError and nothing is written. With `lock`, the nights are read FOR
 * UPDATE in date order inside a transaction instead, so their versions cannot move.
 *
 * Plain SQL rather than the unit of work: this is the hottest path of the server, and
 * entity bookkeeping and round trips were most of its cost (bench/RESULTS.md). The
 * version column is the ORM's own; every writer, here or through the ORM, bumps it.
 */
export async function holdNights(
  em: EntityManager,
  request: HoldRequest,
  options: { lock: boolean; lockTimeoutMs: number },
): Promise<Reservation> {
  let row: Record<string, unknown>;
  if (options.lock) {
    row = await em.transactional(async (tx) => {
      await tx.execute(`set local lock_timeout = ${Math.floor(options.lockTimeoutMs)}`);
      const nights = await readStayNights(tx, request, true);
      return writeHold(tx, request, await priceHold(tx, request, nights));
    });
  } else {
    const hold = await priceHold(em, request, await readStayNights(em, request, false));
    row = await writeHold(em, request, hold);
  }
  // Managed by the caller's context, not the finished transaction's.
  return em.map(Reservation, row);
}

/** The stay's nights in date order, each with its base rate, the room type's rules and its hotel: one statement. */
function readStayNights(em: EntityManager, request: HoldRequest, lock: boolean): Promise<StayNightRow[]> {
  const { roomTypeId, stay } = request;
  return em.execute<StayNightRow[]>(
    `select n.date::text as date, n.total, n.reserved, n.sell_limit, n.version, r.amount_minor,
            (select coalesce(json_agg(json_build_array(p.min_occupancy_percent, p.adjustment_percent)), '[]')
               from pricing_rule p where p.room_type_id = ?) as rules,
            n.hotel_id, h.timezone, h.currency
       from room_type_inventory n
       join hotel h on h.id = n.hotel_id
       left join room_type_rate r on r.room_type_id = n.room_type_id and r.date = n.date
      where n.room_type_id = ? and n.date >= ? and n.date < ?
      order by n.date${lock ? ' for update of n' : ''}`,
    [roomTypeId, roomTypeId, stay.checkIn, stay.checkOut],
  );
}

interface PricedHold {
  hotel: HoldHotel;
  nights: StayNightRow[];
  totalMinor: number;
  days: DayView[];
}

/**
 * Checks the stay against today where the hotel is, then that every night can take the
 * rooms, and prices each at its occupancy before this booking. NOT_FOUND when there is
 * no such room type (asked only when the stay has no nights on sale).
 */
async function priceHold(em: EntityManager, request: HoldRequest, nights: StayNightRow[]): Promise<PricedHold> {
  const { stay } = request;
  const hotel = nights.length > 0 ? hotelOf(nights[0]) : await hotelOfRoomType(em, request.roomTypeId);
  assertNotPast(stay, hotel.timezone);
  if (nights.length !== stay.nights.length || nights.some((night) => night.amount_minor === null)) {
    throw soldOut('Some nights of this stay are not on sale');
  }
  const rules: PricingRuleValue[] = (nights[0]?.rules ?? []).map(([minOccupancyPercent, adjustmentPercent]) => ({
    minOccupancyPercent,
    adjustmentPercent,
  }));
  let totalMinor = 0;
  const after = new Map<string, NightCounts>();
  const rates = new Map<string, number>();
  for (const night of nights) {
    if (night.reserved + stay.rooms > night.sell_limit) throw soldOut(`Not enough rooms left on ${night.date}`);
    const base = Number(night.amount_minor);
    totalMinor += nightlyRate(base, night.reserved, night.total, rules) * stay.rooms;
    rates.set(night.date, base);
    after.set(night.date, { total: night.total, reserved: night.reserved + stay.rooms, sellLimit: night.sell_limit });
  }
  return { hotel, nights, totalMinor, days: dayViews(stay.nights, after, rates, rules) };
}

const hotelOf = (row: StayNightRow): HoldHotel => ({ id: row.hotel_id, timezone: row.timezone, currency: row.currency });

async function hotelOfRoomType(em: EntityManager, roomTypeId: string): Promise<HoldHotel> {
  const rows = await em.execute<HoldHotel[]>(
    'select h.id, h.timezone, h.currency from room_type rt join hotel h on h.id = rt.hotel_id where rt.id = ?',
    [roomTypeId],
  );
  if (rows.length === 0) throw notFound('RoomType', roomTypeId);
  return rows[0];
}

/**
 * One statement, so atomic on its own: locks the stay's nights in date order, and only
 * if every version is still the one read, bumps them, inserts the reservation, its
 * outbox events (after the nights' row locks, so they follow commit order) and links
 * the idempotency key. If any night moved, it changes nothing and answers no row.
 * The locks are held for this statement only, not across round trips.
 */
async function writeHold(em: EntityManager, request: HoldRequest, hold: PricedHold): Promise<Record<string, unknown>> {
  const { roomTypeId, stay, key } = request;
  const { hotel } = hold;
  const id = newId();
  const now = new Date().toISOString();
  const events = [
    availabilityEvent({ hotelId: hotel.id, roomTypeId, currency: hotel.currency, days: hold.days }),
    statusEvent({
      reservationId: id,
      hotelId: hotel.id,
      roomTypeId,
      status: ReservationStatus.PENDING,
      checkIn: stay.checkIn,
      checkOut: stay.checkOut,
      rooms: stay.rooms,
    }),
  ];
  const rows = await em.execute<Record<string, unknown>[]>(
    `with held as (
       select * from unnest(?::date[], ?::int[]) as held(date, version)
     ), locked as materialized (
       select n.date, n.version from room_type_inventory n
        where n.room_type_id = ? and n.date >= ? and n.date < ?
        order by n.date
          for update
     ), unchanged as (
       select count(*) = ? as ok from locked join held using (date, version)
     ), nights as (
       update room_type_inventory n set reserved = n.reserved + ?, version = n.version + 1
         from held, unchanged
        where unchanged.ok and n.room_type_id = ? and n.date = held.date and n.version = held.version
        returning n.date
     ), booked as (
       insert into reservation (id, hotel_id, room_type_id, principal, guest_name, guest_email, check_in, check_out,
                                rooms, status, total_minor, currency, hold_expires_at, version, created_at, updated_at)
       select ?::uuid, ?::uuid, ?::uuid, ?, ?, ?, ?::date, ?::date, ?::smallint, ?, ?::bigint, ?, ?::timestamptz, 1,
              ?::timestamptz, ?::timestamptz
        where (select count(*) from nights) = ?
       returning *
     ), events as (
       insert into outbox (event_id, topic, hotel_id, payload, created_at)
       select (e->'payload'->>'eventId')::uuid, e->>'topic', ?::uuid, e->'payload', ?::timestamptz
         from booked, jsonb_array_elements(?::jsonb) as e
     ), linked as (
       update idempotency_key set reservation_id = ?
        where principal = ? and operation = ? and key = ? and exists (select 1 from booked)
     )
     select * from booked`,
    [
      `{${hold.nights.map((n) => n.date).join(',')}}`,
      `{${hold.nights.map((n) => n.version).join(',')}}`,
      roomTypeId,
      stay.checkIn,
      stay.checkOut,
      hold.nights.length,
      stay.rooms,
      roomTypeId,
      id,
      hotel.id,
      roomTypeId,
      request.principal,
      request.guest.name,
      request.guest.email,
      stay.checkIn,
      stay.checkOut,
      stay.rooms,
      ReservationStatus.PENDING,
      hold.totalMinor,
      hotel.currency,
      request.holdExpiresAt.toISOString(),
      now,
      now,
      hold.nights.length,
      hotel.id,
      now,
      JSON.stringify(events),
      id,
      key.principal,
      key.operation,
      key.key,
    ],
  );
  if (rows.length === 0) throw OptimisticLockError.lockFailed('InventoryNight');
  return rows[0];
}

/**
 * Gives the reservation's nights back, in the caller's transaction. Row locks in
 * date order: a release must not fail for contention, and the order is the one every
 * locker uses, so it cannot deadlock with them.
 */
export async function releaseNights(
  tx: EntityManager,
  reservation: Reservation,
  hotel: Pick<Hotel, 'id' | 'currency'>,
): Promise<void> {
  const roomTypeId = reservation.roomType.id;
  const range = { roomType: roomTypeId, date: { $gte: reservation.checkIn, $lt: reservation.checkOut } };
  const nights = await tx.find(InventoryNight, range, {
    orderBy: { date: 'asc' },
    lockMode: LockMode.PESSIMISTIC_WRITE,
    refresh: true,
  });
  for (const night of nights) night.reserved -= reservation.rooms;
  const { rates, rules } = await loadPricing(tx, roomTypeId, reservation.checkIn, reservation.checkOut);
  await recordAvailabilityChange(tx, {
    hotelId: hotel.id,
    roomTypeId,
    currency: hotel.currency,
    days: dayViews(
      nights.map((n) => n.date),
      new Map(nights.map((n) => [n.date, n])),
      rates,
      rules,
    ),
  });
}

/** The stay's base rates and the room type's rules, as plain values (only read, never written). */
async function loadPricing(tx: EntityManager, roomTypeId: string, from: string, to: string) {
  const data = await loadStayData(tx, [roomTypeId], from, to);
  return { rates: data.rates.get(roomTypeId)!, rules: data.rules.get(roomTypeId)! };
}

/** The payload of a status event on the `reservation` topic. */
export interface StatusEvent {
  eventId: string;
  reservationId: string;
  hotelId: string;
  roomTypeId: string;
  status: ReservationStatus;
  checkIn: string;
  checkOut: string;
  rooms: number;
  at: string;
}

/** A reservation's status change, for consumers of the event stream, with a new event id. */
function statusEvent(change: Omit<StatusEvent, 'eventId' | 'at'>): OutboxEventData<StatusEvent> {
  return { topic: RESERVATION_TOPIC, payload: { eventId: newId(), ...change, at: new Date().toISOString() } };
}

/** The status event of a stored reservation, in `status` (by default the one it has). */
function statusEventOf(reservation: Reservation, status = reservation.status): OutboxEventData<StatusEvent> {
  return statusEvent({
    reservationId: reservation.id,
    hotelId: reservation.hotel.id,
    roomTypeId: reservation.roomType.id,
    status,
    checkIn: reservation.checkIn,
    checkOut: reservation.checkOut,
    rooms: reservation.rooms,
  });
}

/** Records a reservation's status change in the caller's transaction. */
export async function recordStatus(tx: EntityManager, reservation: Reservation): Promise<void> {
  const { topic, payload } = statusEventOf(reservation);
  await recordEvent(tx, topic, reservation.hotel.id, payload);
}

/**
 * Moves a reservation from one of `from` into `status`, giving back its nights when
 * the new status holds none. Locks the reservation row first, so the saga, a cancel
 * and the sweeper cannot both move it. Answers `moved: false`, changing nothing, when
 * it is in none of `from`.
 */
export async function transition(
  tx: EntityManager,
  reservationId: string,
  from: readonly ReservationStatus[],
  status: ReservationStatus,
  changes: Partial<Pick<Reservation, 'refundDue' | 'cancelReason'>> = {},
  // Through `tx`: the reservation's own reference may belong to a context outside the
  // transaction, and PGlite's one connection would wait for the transaction forever.
  hotelOf: (reservation: Reservation) => Promise<Hotel> = (r) => tx.findOneOrFail(Hotel, r.hotel.id),
): Promise<{ moved: boolean; reservation: Reservation }> {
  const reservation = await tx.findOneOrFail(Reservation, reservationId, {
    lockMode: LockMode.PESSIMISTIC_WRITE,
    refresh: true,
  });
  if (!from.includes(reservation.status)) return { moved: false, reservation };
  const holds = (s: ReservationStatus) => (HOLDING_STATUSES as readonly ReservationStatus[]).includes(s);
  const heldBefore = holds(reservation.status);
  const holdsAfter = holds(status);
  reservation.status = status;
  reservation.holdExpiresAt = null;
  Object.assign(reservation, changes);
  if (heldBefore && !holdsAfter) await releaseNights(tx, reservation, await hotelOf(reservation));
  await tx.flush();
  await recordStatus(tx, reservation);
  return { moved: true, reservation };
}

/**
 * PENDING -> CONFIRMED once the charge succeeded, with its status event and the key's
 * outcome (as IdempotencyStore.finish records it), in one statement. The status test
 * runs under the row lock the UPDATE takes, so a sweeper or a cancel that moved the
 * reservation first wins: then nothing changes and the answer is undefined, and the
 * caller takes the general path through `transition`.
 */
export async function confirmHeld(em: EntityManager, reservation: Reservation, key: KeyScope): Promise<Reservation | undefined> {
  const { topic, payload } = statusEventOf(reservation, ReservationStatus.CONFIRMED);
  const now = new Date().toISOString();
  const rows = await em.execute<Record<string, unknown>[]>(
    `with moved as (
       update reservation set status = ?, hold_expires_at = null, version = version + 1, updated_at = ?::timestamptz
        where id = ?::uuid and status = ?
        returning *
     ), event as (
       insert into outbox (event_id, topic, hotel_id, payload, created_at)
       select ?::uuid, ?, hotel_id, ?::jsonb, ?::timestamptz from moved
     ), outcome as (
       update idempotency_key set state = 'done', reservation_id = ?::uuid, error_code = null, error_message = null
        where principal = ? and operation = ? and key = ? and exists (select 1 from moved)
     )
     select * from moved`,
    [
      ReservationStatus.CONFIRMED,
      now,
      reservation.id,
      ReservationStatus.PENDING,
      payload.eventId,
      topic,
      JSON.stringify(payload),
      now,
      reservation.id,
      key.principal,
      key.operation,
      key.key,
    ],
  );
  return rows.length === 1 ? em.map(Reservation, rows[0]) : undefined;
}
