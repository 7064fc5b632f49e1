import type { EntityManager } from '@mikro-orm/postgresql';
import { newId } from '../../entities/id.js';
import { OutboxEvent } from '../../entities/live/outbox-event.entity.js';
import type { DayView } from '../stays/inventory-days.js';
import { formatAmount } from '../common/money.js';

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

/** An event as the outbox stores it: its topic and its payload. */
export interface OutboxEventData<Payload extends { eventId: string } = { eventId: string }> {
  topic: string;
  payload: Payload;
}

export interface AvailabilityChange {
  hotelId: string;
  roomTypeId: string;
  currency: string;
  days: readonly DayView[];
}

/** The availability event of these nights, with a new event id. */
export function availabilityEvent(change: AvailabilityChange): OutboxEventData<AvailabilityEvent> {
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
  return { topic: AVAILABILITY_TOPIC, payload };
}

/**
 * Records that these nights changed, in the caller's transaction: the event
 * commits with the change or not at all. The relay publishes it later.
 */
export async function recordAvailabilityChange(em: EntityManager, change: AvailabilityChange): Promise<void> {
  if (change.days.length === 0) return;
  const { topic, payload } = availabilityEvent(change);
  await recordEvent(em, topic, change.hotelId, payload);
}

/**
 * Inserts the event at once, in the caller's transaction, without the unit of work:
 * events are only written. Callers write it after taking the row locks of what changed,
 * so its `seq` follows the commit order of changes to the same rows.
 */
export async function recordEvent<Payload extends { eventId: string }>(
  em: EntityManager,
  topic: string,
  hotelId: string,
  payload: Payload,
): Promise<void> {
  await em.insert(OutboxEvent, { eventId: payload.eventId, topic, hotelId, payload, createdAt: new Date() });
}
