import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { AvailabilityBus } from '../../src/services/live/availability-bus.js';

/**
 * The bus's fan-out, in memory: which subscription gets which event, with which
 * nights. "Nothing arrived" is shown by a later marker event arriving first.
 */
type AvailabilityEvent = Parameters<AvailabilityBus['publish']>[0];
type Subscription = ReturnType<AvailabilityBus['subscribe']>;

const HOTEL = 'hotel-1';
const OTHER_HOTEL = 'hotel-2';
const ROOM = 'room-type-1';
const OTHER_ROOM = 'room-type-2';
const NIGHTS = ['2027-01-01', '2027-01-02', '2027-01-03'];

function event(overrides: Partial<AvailabilityEvent> = {}, nights = NIGHTS): AvailabilityEvent {
  return {
    eventId: randomUUID(),
    hotelId: HOTEL,
    roomTypeId: ROOM,
    at: '2027-01-01T00:00:00.000Z',
    days: nights.map((date) => ({
      date,
      version: 1,
      total: 10,
      reserved: 1,
      sellLimit: 10,
      available: 9,
      baseRate: { amount: '100.00', currency: 'EUR' },
      rate: { amount: '100.00', currency: 'EUR' },
    })),
    ...overrides,
  };
}

/** What the subscription has ready now (publishing is synchronous), or 'nothing'. */
async function ready(subscription: Subscription): Promise<AvailabilityEvent | 'nothing' | 'ended'> {
  const nothing = new Promise<'nothing'>((resolve) => setImmediate(() => resolve('nothing')));
  const next = subscription.next().then((result) => (result.done ? ('ended' as const) : result.value));
  return Promise.race([next, nothing]);
}

/** The ids of what the subscription has queued, up to and including `marker`. */
async function receivedUntil(subscription: Subscription, marker: AvailabilityEvent): Promise<string[]> {
  const ids: string[] = [];
  for (;;) {
    const next = await ready(subscription);
    if (typeof next === 'string') throw new Error(`the marker never came (${next})`);
    ids.push(next.eventId);
    if (next.eventId === marker.eventId) return ids;
  }
}

describe('AvailabilityBus', () => {
  it("gives a subscription only its hotel's events", async () => {
    const bus = new AvailabilityBus();
    const subscription = bus.subscribe({ hotelId: HOTEL });
    const elsewhere = event({ hotelId: OTHER_HOTEL });
    const here = event();
    bus.publish(elsewhere);
    bus.publish(here);
    expect(await receivedUntil(subscription, here)).toEqual([here.eventId]);
  });

  it('filters by room type when asked', async () => {
    const bus = new AvailabilityBus();
    const byType = bus.subscribe({ hotelId: HOTEL, roomTypeId: ROOM });
    const all = bus.subscribe({ hotelId: HOTEL });
    const other = event({ roomTypeId: OTHER_ROOM });
    const mine = event();
    bus.publish(other);
    bus.publish(mine);
    expect(await receivedUntil(byType, mine)).toEqual([mine.eventId]);
    expect(await receivedUntil(all, mine)).toEqual([other.eventId, mine.eventId]);
  });

  it('trims the nights to [from, to), and drops events with none left', async () => {
    const bus = new AvailabilityBus();
    const middle = bus.subscribe({ hotelId: HOTEL, from: '2027-01-02', to: '2027-01-03' });
    const fromOn = bus.subscribe({ hotelId: HOTEL, from: '2027-01-03' });
    const before = bus.subscribe({ hotelId: HOTEL, to: '2027-01-02' });
    const whole = bus.subscribe({ hotelId: HOTEL });
    const wide = event();
    bus.publish(wide);

    const dates = async (subscription: Subscription) => {
      const next = await ready(subscription);
      if (typeof next === 'string') throw new Error(`expected an event, got ${next}`);
      expect(next.eventId).toBe(wide.eventId);
      return next.days.map((day) => day.date);
    };
    expect(await dates(middle)).toEqual(['2027-01-02']);
    expect(await dates(fromOn)).toEqual(['2027-01-03']);
    expect(await dates(before)).toEqual(['2027-01-01']);
    expect(await dates(whole)).toEqual(NIGHTS);
    expect(wide.days).toHaveLength(3); // trimming copies; the published event is left alone

    // Only the night of `to` itself: outside [2027-01-02, 2027-01-03).
    const atTo = event({}, ['2027-01-03']);
    const marker = event({}, ['2027-01-02']);
    bus.publish(atTo);
    bus.publish(marker);
    expect(await receivedUntil(middle, marker)).toEqual([marker.eventId]);
  });

  it('drops an event id it has seen before', async () => {
    const bus = new AvailabilityBus();
    const subscription = bus.subscribe({ hotelId: HOTEL });
    const first = event();
    const marker = event();
    bus.publish(first);
    bus.publish({ ...first }); // a relay retry, or Redis read again after a reconnect
    bus.publish(first);
    bus.publish(marker);
    expect(await receivedUntil(subscription, marker)).toEqual([first.eventId, marker.eventId]);
  });

  it('ends a subscription on return(): it is no longer counted, gets nothing more and a waiting next() is done', async () => {
    const bus = new AvailabilityBus();
    const leaving = bus.subscribe({ hotelId: HOTEL });
    const staying = bus.subscribe({ hotelId: HOTEL });
    expect(bus.subscriberCount).toBe(2);
    const waiting = leaving.next();
    await leaving.return!();
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(bus.subscriberCount).toBe(1);

    const after = event();
    bus.publish(after);
    expect(await ready(leaving)).toBe('ended');
    expect(await receivedUntil(staying, after)).toEqual([after.eventId]);
  });

  it('close() ends every subscription, on every hotel', async () => {
    const bus = new AvailabilityBus();
    const subscriptions = [bus.subscribe({ hotelId: HOTEL }), bus.subscribe({ hotelId: OTHER_HOTEL, roomTypeId: ROOM })];
    expect(bus.subscriberCount).toBe(2);
    const waiting = subscriptions.map((s) => s.next());
    bus.close();
    expect(await Promise.all(waiting)).toEqual([
      { value: undefined, done: true },
      { value: undefined, done: true },
    ]);
    expect(bus.subscriberCount).toBe(0);
  });

  it('cuts off a subscriber that stops reading once 10,000 events wait for it', async () => {
    const bus = new AvailabilityBus();
    const stalled = bus.subscribe({ hotelId: HOTEL });
    const reading = bus.subscribe({ hotelId: HOTEL });
    const read = async () => {
      const next = await reading.next();
      expect(next.done).toBe(false);
    };
    for (let i = 0; i < 10_000; i++) {
      bus.publish(event());
      await read();
    }
    expect(bus.subscriberCount).toBe(2);
    bus.publish(event());
    expect(bus.subscriberCount).toBe(1);
    expect(await ready(stalled)).toBe('ended');
    await read(); // the one that kept reading is still served
  });
});
