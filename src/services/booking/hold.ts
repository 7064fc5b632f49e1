import { OptimisticLockError } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Reservation, ReservationStatus } from '../../entities/booking/reservation.entity.js';
import { newId } from '../../entities/id.js';
import { todayIn } from '../common/dates.js';
import { DomainError, ErrorCode, notFound } from '../common/errors.js';
import { availabilityEvent } from '../stays/availability.js';
import { assertNotPast, type Stay } from '../stays/stay.validation.js';
import { readRoomTypeHotel, type StayHotel } from '../stays/stays.store.js';
import { holdStay, type StayHold } from './booking.store.js';
import { claimLost } from './idempotency.js';
import type { KeyScope, NewClaim } from './idempotency.store.js';
import { statusEvent } from './status-events.js';

/** Everything a new hold needs besides the inventory and the idempotency key. */
export interface StayRequest {
  roomTypeId: string;
  stay: Stay;
  principal: string;
  guest: { name: string; email: string };
  now: Date;
  holdExpiresAt: Date;
}

/** A hold for a request that holds its key's claim already. */
export interface HoldRequest extends StayRequest {
  /** The idempotency key (with the request's fence) the reservation is linked to, in the statement that creates it. */
  key: KeyScope;
}

const soldOut = (message: string) => new DomainError(ErrorCode.SOLD_OUT, message);
export const NOT_ON_SALE = 'Some nights of this stay are not on sale';
export const notEnoughRooms = (date: string) => `Not enough rooms left on ${date}`;

/**
 * Each room type's hotel (its id, time zone and currency) as last seen, on this server.
 * Only a hint: the hold statement writes only if it is still true, and answers the hotel
 * as stored when it is not. A room type never changes hotel; a hotel may change its
 * time zone (and its currency, before it has rates).
 */
const hotelsOfRoomTypes = new Map<string, StayHotel>();
const MAX_HINTS = 100_000;

/** How many times the hold reads the hotel again when it changed under it before answering BUSY. */
const HOTEL_ATTEMPTS = 3;

/**
 * Step 2 of the saga: holds the stay's rooms and creates the PENDING reservation, with
 * its availability and status events and the idempotency key's link, all or nothing, in
 * one statement (`holdStay`): it locks the nights in date order, checks them, prices the
 * stay from the rows it locked and writes. Contention makes it wait for the locks, never
 * fail. Checks in the order a client sees them: the room type exists, the stay is not in
 * the hotel's past, every night is on sale and has room; then that this request still
 * holds its key's claim.
 */
export async function createHeldReservation(em: EntityManager, request: HoldRequest): Promise<Reservation> {
  const { roomTypeId, stay } = request;
  let hotel = await hotelOf(em, roomTypeId);
  for (let attempt = 1; ; attempt++) {
    if (!hotel) throw notFound('RoomType', roomTypeId);
    const outcome = await holdStay(em, holdOf(request, hotel, { fence: request.key }));
    if (!sameHotel(outcome.hotel, hotel)) {
      // The hotel changed (or the room type went) since this server last saw it: check again with the hotel as stored.
      hotel = seen(roomTypeId, outcome.hotel);
      if (hotel && attempt >= HOTEL_ATTEMPTS) {
        throw new DomainError(ErrorCode.BUSY, 'The hotel changed while booking: retry with the same idempotency key');
      }
      continue;
    }
    assertNotPast(stay, hotel.timezone, request.now);
    if (!outcome.onSale) throw soldOut(NOT_ON_SALE);
    if (outcome.short) throw soldOut(notEnoughRooms(outcome.short));
    if (!outcome.fenced) throw claimLost();
    // Every check passed and it still did not write: cannot happen while the statement holds its locks; retried as contention.
    if (!outcome.reservation) throw OptimisticLockError.lockFailed('RoomTypeInventory');
    // Managed by the caller's context.
    return em.map(Reservation, outcome.reservation);
  }
}

/**
 * Steps 1 and 2 of the saga in one statement, for a key this request claims now
 * (`holdStay` with a new claim): the key is claimed with the held reservation, or with
 * SOLD_OUT as its outcome (thrown). Undefined when it did neither: the key was claimed
 * before (a retry, a concurrent duplicate), or the stay is not for a room type that
 * exists, or is in the hotel's past, or the hotel changed; the saga then claims the key
 * on its own and holds (`createHeldReservation`), which answers each of those as it
 * always does, in that order.
 */
export async function claimAndHold(em: EntityManager, request: StayRequest, claim: NewClaim): Promise<Reservation | undefined> {
  const hotel = await hotelOf(em, request.roomTypeId);
  if (!hotel) return undefined;
  const outcome = await holdStay(
    em,
    holdOf(request, hotel, {
      claim,
      soldOut: { code: ErrorCode.SOLD_OUT, notOnSale: NOT_ON_SALE, notEnoughRoomsOn: notEnoughRooms('') },
    }),
  );
  if (!sameHotel(outcome.hotel, hotel)) {
    seen(request.roomTypeId, outcome.hotel);
    return undefined;
  }
  if (outcome.claimed === 'done') throw soldOut(outcome.onSale ? notEnoughRooms(outcome.short!) : NOT_ON_SALE);
  if (outcome.claimed === 'running' && outcome.reservation) return em.map(Reservation, outcome.reservation);
  return undefined;
}

/** The room type's hotel: as this server last saw it, or read. */
async function hotelOf(em: EntityManager, roomTypeId: string): Promise<StayHotel | undefined> {
  return hotelsOfRoomTypes.get(roomTypeId) ?? seen(roomTypeId, await readRoomTypeHotel(em, roomTypeId));
}

/** The hold statement's request: the reservation, its events and the hotel it is checked against. */
function holdOf(request: StayRequest, hotel: StayHotel, key: StayHold['key']): StayHold {
  const { stay, roomTypeId, now } = request;
  const id = newId();
  return {
    reservation: {
      id,
      hotelId: hotel.id,
      roomTypeId,
      principal: request.principal,
      guest: request.guest,
      checkIn: stay.checkIn,
      checkOut: stay.checkOut,
      rooms: stay.rooms,
      currency: hotel.currency,
      status: ReservationStatus.PENDING,
      holdExpiresAt: request.holdExpiresAt,
      createdAt: now,
    },
    nights: stay.nights,
    hotel,
    writable: stay.checkIn >= todayIn(hotel.timezone, now),
    // Its days are the nights as the statement writes them.
    availability: availabilityEvent(hotel.id, roomTypeId, [], now),
    status: statusEvent(
      {
        reservationId: id,
        hotelId: hotel.id,
        roomTypeId,
        status: ReservationStatus.PENDING,
        checkIn: stay.checkIn,
        checkOut: stay.checkOut,
        rooms: stay.rooms,
      },
      now,
    ),
    key,
  };
}

/** Remembers the room type's hotel as just read (none: forgets it), and answers it. */
function seen(roomTypeId: string, hotel: StayHotel | undefined): StayHotel | undefined {
  if (!hotel) {
    hotelsOfRoomTypes.delete(roomTypeId);
    return undefined;
  }
  if (hotelsOfRoomTypes.size >= MAX_HINTS && !hotelsOfRoomTypes.has(roomTypeId)) hotelsOfRoomTypes.clear();
  hotelsOfRoomTypes.set(roomTypeId, hotel);
  return hotel;
}

const sameHotel = (a: StayHotel | undefined, b: StayHotel) =>
  a !== undefined && a.id === b.id && a.timezone === b.timezone && a.currency === b.currency;
