import type { AvailabilityFeed, AvailabilityFilter } from './live.service.js';
import type { AvailabilityEvent } from '../stays/availability.js';

/** A subscriber's queue may not grow past this: a client that stops reading is cut off, not buffered forever. */
const MAX_QUEUED = 10_000;
/** Event ids remembered to drop duplicates (a relay retry, a stream catch-up). */
const RECENT_IDS = 50_000;

/**
 * This server's fan-out of availability events to its own subscribers. Every event
 * reaches it once, from the in-process relay or from Redis, and goes to each
 * subscription whose filter it matches, with only the nights in that subscription's
 * range. An event id seen before is dropped.
 */
export class AvailabilityBus implements AvailabilityFeed {
  private readonly byHotel = new Map<string, Set<Subscription>>();
  private readonly recent = new Set<string>();

  publish(event: AvailabilityEvent): void {
    if (this.recent.has(event.eventId)) return;
    this.recent.add(event.eventId);
    if (this.recent.size > RECENT_IDS) this.recent.delete(this.recent.values().next().value!);
    for (const subscription of this.byHotel.get(event.hotelId) ?? []) subscription.offer(event);
  }

  subscribe(filter: AvailabilityFilter): AsyncIterableIterator<AvailabilityEvent> {
    const subscriptions = this.byHotel.get(filter.hotelId) ?? new Set<Subscription>();
    this.byHotel.set(filter.hotelId, subscriptions);
    const subscription = new Subscription(filter, () => {
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

class Subscription implements AsyncIterableIterator<AvailabilityEvent> {
  private readonly queue: AvailabilityEvent[] = [];
  private waiting?: (result: IteratorResult<AvailabilityEvent>) => void;
  private done = false;

  constructor(
    private readonly filter: AvailabilityFilter,
    private readonly onEnd: () => void,
  ) {}

  offer(event: AvailabilityEvent): void {
    const matching = this.match(event);
    if (!matching || this.done) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: matching, done: false });
    } else if (this.queue.length < MAX_QUEUED) {
      this.queue.push(matching);
    } else {
      void this.return();
    }
  }

  /** The event as this subscriber sees it: only the nights overlapping its [from, to), if any. */
  private match(event: AvailabilityEvent): AvailabilityEvent | undefined {
    const { roomTypeId, from, to } = this.filter;
    if (roomTypeId && event.roomTypeId !== roomTypeId) return undefined;
    if (!from && !to) return event;
    const days = event.days.filter((day) => (!from || day.date >= from) && (!to || day.date < to));
    return days.length > 0 ? { ...event, days } : undefined;
  }

  next(): Promise<IteratorResult<AvailabilityEvent>> {
    const value = this.queue.shift();
    if (value) return Promise.resolve({ value, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<AvailabilityEvent>> {
    if (!this.done) {
      this.done = true;
      this.queue.length = 0;
      this.onEnd();
      this.waiting?.({ value: undefined, done: true });
      this.waiting = undefined;
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<AvailabilityEvent> {
    return this;
  }
}
