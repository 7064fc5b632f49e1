import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Hotel } from '../entities/hotel.entity.js';
import { newId } from '../entities/id.js';
import { InventoryNight } from '../entities/inventory-night.entity.js';
import { OutboxEvent } from '../entities/outbox-event.entity.js';
import { PricingRule } from '../entities/pricing-rule.entity.js';
import { Reservation, ReservationStatus } from '../entities/reservation.entity.js';
import { RoomRate } from '../entities/room-rate.entity.js';
import { DomainError, ErrorCode } from './errors.js';
import { dayViews } from './inventory-days.js';
import { recordAvailabilityChange } from './outbox.js';
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
  const [rates, rules] = await Promise.all([
    tx.find(RoomRate, range),
    tx.find(PricingRule, { roomType: roomTypeId }),
  ]);
  const rateOf = new Map(rates.map((rate) => [rate.date, rate.amountMinor]));
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
  recordAvailabilityChange(tx, {
    hotelId: hotel.id,
    roomTypeId,
    currency: hotel.currency,
    days: dayViews(stay.nights, new Map(nights.map((n) => [n.date, n])), rateOf, rules),
  });
  recordStatus(tx, reservation);
  await tx.flush();
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
  const [rates, rules] = await Promise.all([
    tx.find(RoomRate, range),
    tx.find(PricingRule, { roomType: roomTypeId }),
  ]);
  recordAvailabilityChange(tx, {
    hotelId: hotel.id,
    roomTypeId,
    currency: hotel.currency,
    days: dayViews(
      nights.map((n) => n.date),
      new Map(nights.map((n) => [n.date, n])),
      new Map(rates.map((r) => [r.date, r.amountMinor])),
      rules,
    ),
  });
}

/** A reservation's status change, for consumers of the event stream. */
export function recordStatus(tx: EntityManager, reservation: Reservation): void {
  tx.create(OutboxEvent, {
    eventId: newId(),
    topic: RESERVATION_TOPIC,
    hotelId: reservation.hotel.id,
    payload: {
      reservationId: reservation.id,
      hotelId: reservation.hotel.id,
      roomTypeId: reservation.roomType.id,
      status: reservation.status,
      checkIn: reservation.checkIn,
      checkOut: reservation.checkOut,
      rooms: reservation.rooms,
      at: new Date().toISOString(),
    },
  });
}

/**
 * Moves a reservation out of PENDING or CONFIRMED into `status`, giving back its
 * nights when the new status holds none. Locks the reservation row first, so the
 * saga, a cancel and the sweeper cannot both move it. Returns false, changing
 * nothing, when it is not in one of `from`.
 */
export async function transition(
  tx: EntityManager,
  reservationId: string,
  from: readonly ReservationStatus[],
  status: ReservationStatus,
  hotelOf: (reservation: Reservation) => Promise<Hotel>,
  changes: Partial<Pick<Reservation, 'refundDue' | 'cancelReason'>> = {},
): Promise<{ moved: boolean; reservation: Reservation }> {
  const reservation = await tx.findOneOrFail(Reservation, reservationId, {
    lockMode: LockMode.PESSIMISTIC_WRITE,
    refresh: true,
  });
  if (!from.includes(reservation.status)) return { moved: false, reservation };
  const heldBefore = reservation.status === ReservationStatus.PENDING || reservation.status === ReservationStatus.CONFIRMED;
  const holdsAfter = status === ReservationStatus.PENDING || status === ReservationStatus.CONFIRMED;
  reservation.status = status;
  reservation.holdExpiresAt = null;
  Object.assign(reservation, changes);
  if (heldBefore && !holdsAfter) await releaseNights(tx, reservation, await hotelOf(reservation));
  recordStatus(tx, reservation);
  await tx.flush();
  return { moved: true, reservation };
}
