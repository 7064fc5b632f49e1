import { OptimisticLockError } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Reservation, ReservationStatus } from '../../entities/booking/reservation.entity.js';
import { newId } from '../../entities/id.js';
import { DomainError, ErrorCode, notFound } from '../common/errors.js';
import { availabilityEvent } from '../stays/availability.js';
import { inventoryDays, type VersionedCounts } from '../stays/inventory-day.js';
import { nightlyRate } from '../stays/pricing.js';
import { assertNotPast, type Stay } from '../stays/stay.validation.js';
import { readInventory, setLockTimeout, type InventoryRange, type StayHotel } from '../stays/stays.store.js';
import { insertHold, type HoldRecord } from './booking.store.js';
import { claimLost } from './idempotency.js';
import { claimHeld, type KeyScope } from './idempotency.store.js';
import { statusEvent } from './status-events.js';

/** Everything a new hold needs besides the inventory. */
export interface HoldRequest {
  roomTypeId: string;
  stay: Stay;
  principal: string;
  guest: { name: string; email: string };
  now: Date;
  holdExpiresAt: Date;
  /** The idempotency key (with the request's fence) the reservation is linked to, in the statement that creates it. */
  key: KeyScope;
}

const soldOut = (message: string) => new DomainError(ErrorCode.SOLD_OUT, message);

/**
 * Step 2 of the saga: holds the stay's rooms and creates the PENDING reservation, with
 * its availability and status events and the idempotency key's link, all or nothing.
 *
 * Optimistic by default: reads the stay's inventory rows with their versions and prices
 * each date at its occupancy before this booking; then `insertHold` writes everything in
 * one statement, only if no version moved meanwhile (otherwise OptimisticLockError, and
 * nothing was written). With `lock`, the rows are read under the inventory lock inside
 * a transaction, so their versions cannot move before the write.
 */
export async function createHeldReservation(
  em: EntityManager,
  request: HoldRequest,
  options: { lock: boolean; lockTimeoutMs: number },
): Promise<Reservation> {
  const { roomTypeId, stay } = request;
  const hold = async (tx: EntityManager, lock: boolean) => {
    const stored = (await readInventory(tx, [roomTypeId], stay.checkIn, stay.checkOut, { lock, withHotel: true })).get(
      roomTypeId,
    )!;
    if (!stored.hotel) throw notFound('RoomType', roomTypeId);
    const row = await insertHold(tx, holdRecord(request, stored, stored.hotel));
    if (row) return row;
    if (!(await claimHeld(tx, request.key))) throw claimLost();
    throw OptimisticLockError.lockFailed('RoomTypeInventory');
  };
  const row = options.lock
    ? await em.transactional(async (tx) => {
        await setLockTimeout(tx, options.lockTimeoutMs);
        return hold(tx, true);
      })
    : await hold(em, false);
  // Managed by the caller's context, not the finished transaction's.
  return em.map(Reservation, row);
}

/**
 * Checks the stay against today where the hotel is, then that every date can take the
 * rooms, and prices each at its occupancy before this booking: the reservation, the
 * versions it was priced at, and its events.
 */
function holdRecord(request: HoldRequest, stored: InventoryRange, hotel: StayHotel): HoldRecord {
  const { stay, roomTypeId } = request;
  const { rules } = stored;
  assertNotPast(stay, hotel.timezone, request.now);
  const inventory = stay.nights.map((date) => stored.inventory.get(date));
  if (inventory.some((row) => row === undefined) || stay.nights.some((date) => !stored.rates.has(date))) {
    throw soldOut('Some nights of this stay are not on sale');
  }
  let totalMinor = 0;
  const after = new Map<string, VersionedCounts>();
  for (const row of inventory as NonNullable<(typeof inventory)[number]>[]) {
    if (row.reserved + stay.rooms > row.sellLimit) throw soldOut(`Not enough rooms left on ${row.date}`);
    totalMinor += nightlyRate(stored.rates.get(row.date)!, row.reserved, row.total, rules) * stay.rooms;
    // insertHold bumps each row's version by one.
    after.set(row.date, { ...row, reserved: row.reserved + stay.rooms, version: row.version + 1 });
  }
  const id = newId();
  const days = inventoryDays(stay.nights, after, stored.rates, rules, hotel.currency);
  return {
    id,
    hotelId: hotel.id,
    roomTypeId,
    principal: request.principal,
    guest: request.guest,
    checkIn: stay.checkIn,
    checkOut: stay.checkOut,
    rooms: stay.rooms,
    totalMinor,
    currency: hotel.currency,
    status: ReservationStatus.PENDING,
    holdExpiresAt: request.holdExpiresAt,
    createdAt: request.now,
    inventory: inventory as HoldRecord['inventory'],
    events: [
      availabilityEvent(hotel.id, roomTypeId, days, request.now),
      statusEvent(
        {
          reservationId: id,
          hotelId: hotel.id,
          roomTypeId,
          status: ReservationStatus.PENDING,
          checkIn: stay.checkIn,
          checkOut: stay.checkOut,
          rooms: stay.rooms,
        },
        request.now,
      ),
    ],
    key: request.key,
  };
}
