import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../../common/logger.js';
import { Subscription } from '../../live/subscription.js';
import type { HoldEngine, SeatChangeEvent } from '../holds/hold-engine.js';

/** How often a watched performance's event log is read: the upper bound on a change's delay. */
const POLL_MS = 50;

/**
 * This server's fan-out of seat changes. The hold engine writes every change to the
 * performance's event log in the same atomic step as the change (with Redis, a stream
 * every server can read), so nothing is lost and no change is reported that did not
 * happen. For each performance with subscribers here, one loop follows that log from
 * the moment the first of them arrived, and hands each event to the subscriptions
 * whose sections it touches, with only those sections' seats.
 */
export class SeatFeed {
  private readonly watched = new Map<
    string,
    { subscriptions: Set<Subscription<SeatChangeEvent>>; started: Promise<void>; loop: Promise<void> }
  >();
  private closed = false;

  constructor(
    private readonly engine: HoldEngine,
    private readonly logger: Logger,
  ) {}

  /** Starts following the performance (if not yet) and answers once the subscription sees every later change. */
  async subscribe(performanceId: string, sectionKeys: readonly string[] | null): Promise<AsyncIterableIterator<SeatChangeEvent>> {
    let watch = this.watched.get(performanceId);
    if (!watch) {
      // Registered before the first await, so subscribers arriving together share one loop.
      const subscriptions = new Set<Subscription<SeatChangeEvent>>();
      const from = this.engine.readEvents(performanceId, null, 1).then(({ lastId }) => lastId);
      const created = {
        subscriptions,
        started: from.then(() => undefined),
        loop: from.then(
          (lastId) => this.follow(performanceId, lastId, subscriptions),
          () => {
            if (this.watched.get(performanceId) === created) this.watched.delete(performanceId);
          },
        ),
      };
      this.watched.set(performanceId, created);
      watch = created;
    }
    await watch.started;
    const { subscriptions } = watch;
    const subscription = new Subscription<SeatChangeEvent>(
      (event) => forSections(event, sectionKeys),
      () => {
        subscriptions.delete(subscription);
        if (subscriptions.size === 0) this.watched.delete(performanceId);
      },
    );
    subscriptions.add(subscription);
    return subscription;
  }

  get subscriberCount(): number {
    let count = 0;
    for (const { subscriptions } of this.watched.values()) count += subscriptions.size;
    return count;
  }

  /** Ends every subscription and loop (the server is stopping). */
  async close(): Promise<void> {
    this.closed = true;
    const loops = [...this.watched.values()].map((watch) => watch.loop);
    for (const { subscriptions } of [...this.watched.values()]) for (const s of [...subscriptions]) void s.return();
    await Promise.all(loops);
  }

  private async follow(
    performanceId: string,
    from: string,
    subscriptions: Set<Subscription<SeatChangeEvent>>,
  ): Promise<void> {
    let lastId = from;
    let failing = false;
    while (!this.closed && this.watched.get(performanceId)?.subscriptions === subscriptions) {
      try {
        const { events, lastId: next } = await this.engine.readEvents(performanceId, lastId, 1000);
        lastId = next;
        if (failing) this.logger.info({ performanceId }, 'reading seat changes again');
        failing = false;
        for (const event of events) for (const subscription of subscriptions) subscription.offer(event);
        if (events.length === 1000) continue;
      } catch (err) {
        if (!failing) this.logger.warn({ err, performanceId }, 'cannot read seat changes; retrying');
        failing = true;
      }
      await delay(POLL_MS);
    }
  }
}

/** The event as a subscriber to some sections sees it, or undefined when it touches none of them. */
function forSections(event: SeatChangeEvent, sectionKeys: readonly string[] | null): SeatChangeEvent | undefined {
  if (!sectionKeys) return event;
  const sections = Object.fromEntries(Object.entries(event.sections).filter(([key]) => sectionKeys.includes(key)));
  if (Object.keys(sections).length === 0) return undefined;
  const seats = event.seats.filter((seat) => sectionKeys.some((key) => seat.seatId.startsWith(`${key}-`) && isSectionOf(seat.seatId, key)));
  return { ...event, seats, sections };
}

/** Section keys may contain '-', so `A-1-2` is not a seat of section `A-1`'s prefix sibling: check the rest is `<row>-<number>`. */
function isSectionOf(seatId: string, key: string): boolean {
  return /^[^-]+-\d+$/.test(seatId.slice(key.length + 1));
}
