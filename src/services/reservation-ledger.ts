import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Hotel } from '../entities/hotel.entity.js';
import { newId } from '../entities/id.js';
import { InventoryNight } from '../entities/inventory-night.entity.js';
import { HOLDING_STATUSES, Reservation, ReservationStatus } from '../entities/reservation.entity.js';
import { DomainError, ErrorCode } from './errors.js';
import { dayViews, loadStayData } from './inventory-days.js';
import { recordAvailabilityChange, recordEvent } from './outbox.js';
import { nightlyRate } from './pricing.js';
import type { Stay } from './stay.validation.js';

export const RESERVATION_TOPIC = 'reservation';

/** Everything a new reservation needs besides the nights. */
export interface HoldRequest {
  hotel: Hotel;
  roomTypeId: string;
  stay: Stay;
  principal: string;
  guest: { name: string; email: string };
  holdExpiresAt: Date;
}

const soldOut = (message: string) => new DomainError(ErrorCode.SOLD_OUT, message);

/**
 * Holds the nights of a stay and creates the PENDING reservation, in the caller's
 * transaction. Reads the nights with their versions (or, with `lock`, FOR UPDATE in
 * date order), prices them at their occupancy before this booking, bumps `reserved`;
 * the flush's `UPDATE ... WHERE version = ?` fails with OptimisticLockError if any
 * night moved since we read it.
 */
export async function holdNights(tx: EntityManager, request: HoldRequest, lock: boolean): Promise<Reservation> {
  const { hotel, roomTypeId, stay } = request;
  const range = { roomType: roomTypeId, date: { $gte: stay.checkIn, $lt: stay.checkOut } };
  const nights = await tx.find(InventoryNight, range, {
    orderBy: { date: 'asc' },
    refresh: true,
    ...(lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {}),
  });
  const { rates: rateOf, rules } = await loadPricing(tx, roomTypeId, stay.checkIn, stay.checkOut);
  if (nights.length !== stay.nights.length || stay.nights.some((date) => !rateOf.has(date))) {
    throw soldOut('Some nights of this stay are not on sale');
  }

  let totalMinor = 0;
  for (const night of nights) {
    if (night.reserved + stay.rooms > night.sellLimit) {
      throw soldOut(`Not enough rooms left on ${night.date}`);
    }
    totalMinor += nightlyRate(rateOf.get(night.date)!, night.reserved, night.total, rules) * stay.rooms;
    night.reserved += stay.rooms;
  }

  const reservation = tx.create(Reservation, {
    hotel: hotel.id,
    roomType: roomTypeId,
    principal: request.principal,
    guestName: request.guest.name,
    guestEmail: request.guest.email,
    checkIn: stay.checkIn,
    checkOut: stay.checkOut,
    rooms: stay.rooms,
    status: ReservationStatus.PENDING,
    totalMinor,
    currency: hotel.currency,
    holdExpiresAt: request.holdExpiresAt,
  });
  await tx.flush();
  // After the flush: the nights' row locks are held, so the events' order is the commit order.
  await recordAvailabilityChange(tx, {
    hotelId: hotel.id,
    roomTypeId,
    currency: hotel.currency,
    days: dayViews(stay.nights, new Map(nights.map((n) => [n.date, n])), rateOf, rules),
  });
  await recordStatus(tx, reservation);
  return reservation;
}

/**
 * Gives the reservation's nights back, in the caller's transaction. Row locks in
 * date order: a release must not fail for contention, and the order is the one every
 * locker uses, so it cannot deadlock with them.
 */
export async function releaseNights(tx: EntityManager, reservation: Reservation, hotel: Hotel): Promise<void> {
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

/** A reservation's status change, for consumers of the event stream. */
export async function recordStatus(tx: EntityManager, reservation: Reservation): Promise<void> {
  await recordEvent(tx, RESERVATION_TOPIC, reservation.hotel.id, {
    eventId: newId(),
    reservationId: reservation.id,
    hotelId: reservation.hotel.id,
    roomTypeId: reservation.roomType.id,
    status: reservation.status,
    checkIn: reservation.checkIn,
    checkOut: reservation.checkOut,
    rooms: reservation.rooms,
    at: new Date().toISOString(),
  });
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
  hotelOf: (reservation: Reservation) => Promise<Hotel> = (r) => r.hotel.loadOrFail(),
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
