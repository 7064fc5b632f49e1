import type { EntityManager } from '@mikro-orm/postgresql';
import { newId } from '../entities/id.js';
import { OutboxEvent } from '../entities/outbox-event.entity.js';
import type { DayView } from './inventory-days.js';
import { formatAmount } from './money.js';

export const AVAILABILITY_TOPIC = 'availability';

/** The payload of an availability event: the contract's InventoryChange, as JSON. */
export interface AvailabilityEvent {
  eventId: string;
  hotelId: string;
  roomTypeId: string;
  days: {
    date: string;
    total: number;
    reserved: number;
    sellLimit: number;
    available: number;
    baseRate: { amount: string; currency: string } | null;
    rate: { amount: string; currency: string } | null;
  }[];
  at: string;
}

/**
 * Records that these nights changed, in the caller's transaction: the event
 * commits with the change or not at all. The relay publishes it later.
 */
export function recordAvailabilityChange(
  em: EntityManager,
  change: { hotelId: string; roomTypeId: string; currency: string; days: readonly DayView[] },
): void {
  if (change.days.length === 0) return;
  const money = (minor: number | null) =>
    minor === null ? null : { amount: formatAmount(minor, change.currency), currency: change.currency };
  const payload: AvailabilityEvent = {
    eventId: newId(),
    hotelId: change.hotelId,
    roomTypeId: change.roomTypeId,
    days: change.days.map((day) => ({
      date: day.date,
      total: day.total,
      reserved: day.reserved,
      sellLimit: day.sellLimit,
      available: day.available,
      baseRate: money(day.baseRateMinor),
      rate: money(day.rateMinor),
    })),
    at: new Date().toISOString(),
  };
  em.create(OutboxEvent, {
    eventId: payload.eventId,
    topic: AVAILABILITY_TOPIC,
    hotelId: change.hotelId,
    payload,
  });
}
