import type { EntityManager } from '@mikro-orm/postgresql';
import { newId } from '../../entities/id.js';
import { formatAmount } from '../common/money.js';
import { insertEvents, type NewOutboxEvent } from '../live/outbox.store.js';
import { daysOf, type InventoryDay } from './inventory-day.js';
import { readInventory, releaseInventory } from './stays.store.js';

export const AVAILABILITY_TOPIC = 'availability';

type MoneyJson = { amount: string; currency: string };

/** The payload of an availability event: the contract's InventoryChange, as JSON. */
export interface AvailabilityEvent {
  eventId: string;
  hotelId: string;
  roomTypeId: string;
  days: {
    date: string;
    /** The inventory row's version after the change (0: no row), which orders views of a day. */
    version: number;
    total: number;
    reserved: number;
    sellLimit: number;
    available: number;
    baseRate: MoneyJson | null;
    rate: MoneyJson | null;
  }[];
  at: string;
}

/** The availability event of these days of one room type, with a new event id. */
export function availabilityEvent(
  hotelId: string,
  roomTypeId: string,
  days: readonly InventoryDay[],
  at: Date,
): NewOutboxEvent<AvailabilityEvent> {
  const money = (minor: number | null, currency: string) =>
    minor === null ? null : { amount: formatAmount(minor, currency), currency };
  const payload: AvailabilityEvent = {
    eventId: newId(),
    hotelId,
    roomTypeId,
    days: days.map((day) => ({
      date: day.date,
      version: day.version,
      total: day.total,
      reserved: day.reserved,
      sellLimit: day.sellLimit,
      available: day.available,
      baseRate: money(day.baseRateMinor, day.currency),
      rate: money(day.rateMinor, day.currency),
    })),
    at: at.toISOString(),
  };
  return { topic: AVAILABILITY_TOPIC, payload };
}

/**
 * Records that a room type's days changed, in the caller's transaction (after it took
 * their row locks): reads them as they now are and writes their event, which commits
 * with the change or not at all. `dates` narrows to those days; by default every date
 * of [from, to) that has an inventory row. Answers the days.
 */
export async function recordInventoryChange(
  tx: EntityManager,
  hotel: { id: string; currency: string },
  roomTypeId: string,
  range: { from: string; to: string; dates?: readonly string[] },
): Promise<InventoryDay[]> {
  const stored = (await readInventory(tx, [roomTypeId], range.from, range.to)).get(roomTypeId)!;
  const days = daysOf(stored, range.dates ?? [...stored.inventory.keys()], hotel.currency);
  if (days.length > 0) {
    const at = new Date();
    await insertEvents(tx, hotel.id, [availabilityEvent(hotel.id, roomTypeId, days, at)], at);
  }
  return days;
}

/**
 * Gives a reservation's rooms back on its dates and records the change, in the
 * caller's transaction.
 */
export async function releaseRooms(
  tx: EntityManager,
  hotel: { id: string; currency: string },
  stay: { roomTypeId: string; checkIn: string; checkOut: string; rooms: number },
): Promise<void> {
  const dates = await releaseInventory(tx, { roomTypeId: stay.roomTypeId, from: stay.checkIn, to: stay.checkOut }, stay.rooms);
  await recordInventoryChange(tx, hotel, stay.roomTypeId, { from: stay.checkIn, to: stay.checkOut, dates });
}
