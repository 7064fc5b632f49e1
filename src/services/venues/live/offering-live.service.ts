import type { EntityManager } from '@mikro-orm/postgresql';
import { OfferingKind } from '../../../entities/venues/offering.js';
import { TimeSlot } from '../../../entities/venues/time-slot.entity.js';
import { isLocalDate, todayIn } from '../../common/dates.js';
import { badInput, DomainError, ErrorCode, notFound } from '../../common/errors.js';
import type { RestaurantContext } from '../dining/restaurant-context.js';
import { busyIntervals, type BusyInterval } from '../dining/seatings.js';
import type { SeatChangeEvent } from '../holds/hold-engine.js';
import { loadOffering, type OfferingContext } from '../holds/offering-context.js';
import { onSeats } from '../seat-state.js';
import { slotRowOf, slotView, type TimeSlotView } from '../timed-entry/exhibition.service.js';
import type { VenueDeps } from '../venue.deps.js';
import type { SeatFeed } from './seat-feed.js';

export interface TimeSlotsChangeView {
  eventId: string;
  exhibitionId: string;
  slots: TimeSlotView[];
  at: Date;
}

export interface DiningChangeView {
  eventId: string;
  restaurantId: string;
  date: string;
  tables: { tableId: string; intervals: BusyInterval[] }[];
  at: Date;
}

/**
 * Live time slots and tables, public like seats: the hold engine's event log of the
 * exhibition or restaurant (every hold, release, expiry, sale and capacity change, once
 * per event id, followed by every server: SeatFeed), described as the contract's
 * TimeSlotsChange and DiningChange.
 */
export class OfferingLiveService {
  constructor(
    private readonly em: EntityManager,
    private readonly deps: VenueDeps,
    private readonly feed: SeatFeed,
  ) {}

  async timeSlots(exhibitionId: string, date: string | null): Promise<AsyncIterableIterator<TimeSlotsChangeView>> {
    if (date !== null && !isLocalDate(date)) throw badInput('date', 'must be a date YYYY-MM-DD');
    const context = await this.offering(exhibitionId, OfferingKind.EXHIBITION, 'Exhibition');
    const events = await this.events(context.id);
    // Slots never move: each is read once per subscription.
    const slots = new Map<string, TimeSlot>();
    const em = this.em.fork();
    return describeEach(events, async (event) => {
      const missing = Object.keys(event.sections).filter((id) => !slots.has(id));
      if (missing.length > 0) for (const slot of await em.find(TimeSlot, { id: { $in: missing } })) slots.set(slot.id, slot);
      const views = Object.entries(event.sections)
        .map(([id, counts]) => slots.get(id) && slotView(slotRowOf(slots.get(id)!), counts, context.currency))
        .filter((view): view is TimeSlotView => view !== undefined && (date === null || slots.get(view.id)!.localDate === date));
      if (views.length === 0) return [];
      views.sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
      return [{ eventId: event.eventId, exhibitionId: context.id, slots: views, at: new Date(event.at) }];
    });
  }

  async dining(restaurantId: string, date: string | null): Promise<AsyncIterableIterator<DiningChangeView>> {
    if (date !== null && !isLocalDate(date)) throw badInput('date', 'must be a date YYYY-MM-DD');
    const context = (await this.offering(restaurantId, OfferingKind.RESTAURANT, 'Restaurant')) as RestaurantContext;
    const events = await this.events(context.id);
    return describeEach(events, async (event) => {
      // A changed cell's date is its seating's: seatings end by midnight where the restaurant is.
      const tablesByDate = new Map<string, Set<string>>();
      for (const { seatId } of event.seats) {
        const [tableId, minutes] = seatId.split('@');
        const day = todayIn(context.timezone, new Date(Number(minutes) * 60_000));
        if (date !== null && day !== date) continue;
        tablesByDate.set(day, (tablesByDate.get(day) ?? new Set()).add(tableId));
      }
      const changes: DiningChangeView[] = [];
      for (const [day, tables] of [...tablesByDate].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const now = this.deps.clock.now().getTime();
        const cells = await onSeats(this.em, this.deps, context.id, () => this.deps.engine.cells(context.id, now, [day]));
        const busy = busyIntervals(cells);
        changes.push({
          eventId: event.eventId,
          restaurantId: context.id,
          date: day,
          tables: [...tables].sort().map((tableId) => ({ tableId, intervals: busy.get(tableId) ?? [] })),
          at: new Date(event.at),
        });
      }
      return changes;
    });
  }

  private async offering(id: string, kind: OfferingKind, what: string): Promise<OfferingContext> {
    const context = await loadOffering(this.em, this.deps, id).catch(() => undefined);
    if (context?.kind !== kind) throw notFound(what, id);
    return context;
  }

  private async events(offeringId: string): Promise<AsyncIterableIterator<SeatChangeEvent>> {
    try {
      return await this.feed.subscribe(offeringId, null);
    } catch {
      // The engine's event log cannot be read (Redis unreachable): the client may retry.
      throw new DomainError(ErrorCode.BUSY, 'Live changes are briefly unavailable: retry shortly');
    }
  }
}

/** Each event as `describe` tells it (none, one or several changes), ending the events with the subscription. */
async function* describeEach<T>(
  events: AsyncIterableIterator<SeatChangeEvent>,
  describe: (event: SeatChangeEvent) => Promise<T[]>,
): AsyncIterableIterator<T> {
  try {
    for await (const event of events) yield* await describe(event);
  } finally {
    await events.return?.();
  }
}
