import type { AvailabilityFeed, AvailabilityFilter } from './live.service.js';
import type { AvailabilityEvent } from '../stays/availability.js';
import { Subscription } from './subscription.js';

/** Event ids remembered to drop duplicates (a relay retry, a stream catch-up). */
const RECENT_IDS = 50_000;

/**
 * This server's fan-out of availability events to its own subscribers. Every event
 * reaches it once, from the in-process relay or from Redis, and goes to each
 * subscription whose filter it matches, with only the nights in that subscription's
 * range. An event id seen before is dropped.
 */
export class AvailabilityBus implements AvailabilityFeed {
  private readonly byHotel = new Map<string, Set<Subscription<AvailabilityEvent>>>();
  private readonly recent = new Set<string>();

  publish(event: AvailabilityEvent): void {
    if (this.recent.has(event.eventId)) return;
    this.recent.add(event.eventId);
    if (this.recent.size > RECENT_IDS) this.recent.delete(this.recent.values().next().value!);
    for (const subscription of this.byHotel.get(event.hotelId) ?? []) subscription.offer(event);
  }

  subscribe(filter: AvailabilityFilter): AsyncIterableIterator<AvailabilityEvent> {
    const subscriptions = this.byHotel.get(filter.hotelId) ?? new Set<Subscription<AvailabilityEvent>>();
    this.byHotel.set(filter.hotelId, subscriptions);
    const subscription = new Subscription((event: AvailabilityEvent) => match(filter, event), () => {
      subscriptions.delete(subscription);
      if (subscriptions.size === 0) this.byHotel.delete(filter.hotelId);
    });
    subscriptions.add(subscription);
    return subscription;
  }

  get subscriberCount(): number {
    let count = 0;
    for (const subscriptions of this.byHotel.values()) count += subscriptions.size;
    return count;
  }

  /** Ends every subscription (the server is stopping). */
  close(): void {
    for (const subscriptions of [...this.byHotel.values()]) for (const s of [...subscriptions]) void s.return();
  }
}

/** The event as this subscriber sees it: only the nights overlapping its [from, to), if any. */
function match(filter: AvailabilityFilter, event: AvailabilityEvent): AvailabilityEvent | undefined {
  const { roomTypeId, from, to } = filter;
  if (roomTypeId && event.roomTypeId !== roomTypeId) return undefined;
  if (!from && !to) return event;
  const days = event.days.filter((day) => (!from || day.date >= from) && (!to || day.date < to));
  return days.length > 0 ? { ...event, days } : undefined;
}
