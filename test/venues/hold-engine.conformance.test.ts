import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis, type Cluster } from 'ioredis';
import { loadConfig } from '../../src/infra/config.js';
import { RedisHoldEngine } from '../../src/infra/venues/redis-hold-engine.js';
import type {
  Candidate,
  CellState,
  HoldEngine,
  HoldInfo,
  HoldRequest,
  LoadSnapshot,
  SeatChangeEvent,
  SeatRef,
} from '../../src/services/venues/holds/hold-engine.js';
import { MemoryHoldEngine } from '../../src/services/venues/holds/memory-hold-engine.js';
import { RedisCluster } from '../helpers/redis-cluster.js';
import { redisServerInstalled } from '../helpers/redis-process.js';

/**
 * One suite, every hold engine (VENUES.md: "One conformance suite runs against both
 * stores, so they cannot drift apart"): in process, on the shared Redis (REDIS_URL), and
 * on a 3-master Redis Cluster of this test's own. Time is the `now` each call passes.
 */

interface EngineUnderTest {
  engine: HoldEngine;
  /** Engines on the same store over their own connections, as several servers are: the storms spread over them. */
  peers: HoldEngine[];
  stop(): Promise<void>;
}

const PEERS = 4;
const redisUrl = loadConfig({ ...process.env, NODE_ENV: 'test' }).redisUrl;

/** Engines on `clients` (the first is the suite's own); the reaper's index and loaded set are this run's only. */
function onRedis(clients: (Redis | Cluster)[], stopStore: () => Promise<void> = async () => undefined): EngineUnderTest {
  const indexPrefix = `test:${randomUUID()}:venues:`;
  const [engine, ...peers] = clients.map((client) => new RedisHoldEngine(client, { indexPrefix }));
  return {
    engine,
    peers: [engine, ...peers],
    async stop() {
      await clients[0].del(`{${indexPrefix}holds}`, `{${indexPrefix}holds}:version`);
      await clients[0].del(`${indexPrefix}loaded`);
      clients.forEach((client) => client.disconnect());
      await stopStore();
    },
  };
}

const engines: [string, () => Promise<EngineUnderTest>][] = [
  [
    'memory',
    async () => {
      const engine = new MemoryHoldEngine();
      return { engine, peers: [engine], stop: () => engine.close() };
    },
  ],
];
if (redisUrl) {
  engines.push(['redis', async () => onRedis(Array.from({ length: PEERS }, () => new Redis(redisUrl)))]);
}
if (redisServerInstalled()) {
  engines.push([
    'redis cluster',
    async () => {
      const cluster = await RedisCluster.start(3);
      return onRedis(
        Array.from({ length: PEERS }, () => cluster.client()),
        () => cluster.stop(),
      );
    },
  ]);
}

const T0 = 1_700_000_000_000;
const MINUTE = 60_000;

const seat = (section: string, row: string, number: number): SeatRef => ({ id: `${section}-${row}-${number}`, section });
const seats = (section: string, row: string, from: number, to: number): SeatRef[] =>
  Array.from({ length: to - from + 1 }, (_, i) => seat(section, row, from + i));
const ids = (refs: SeatRef[]) => refs.map((ref) => ref.id);

const [A1, A2, A3, A4, A5, A6] = seats('ORCH', 'A', 1, 6);
/** A section key with '-' in it: guards find their section from the seat id. */
const [B1, B2, B3, B4] = seats('BAL-L', 'C', 1, 4);
const SECTIONS = ['ORCH', 'BAL-L'];

const EMPTY: LoadSnapshot = { sold: [], pending: [], blocked: [] };
const NOT_LOADED = { ok: false, reason: 'not_loaded' };
const TOKEN = { ok: false, reason: 'token' };
const NONE = { held: 0, sold: 0, blocked: 0 };

function request(token: string, overrides: Partial<HoldRequest> = {}): HoldRequest {
  return { token, owner: 'alice', now: T0, expiresAt: T0 + 15 * MINUTE, existing: false, maxSeats: 10, ...overrides };
}

function loaded<T>(value: T | 'not_loaded'): T {
  if (value === 'not_loaded') throw new Error('performance not loaded');
  return value;
}

function held<T extends { ok: boolean }>(result: T): Extract<T, { ok: true }> {
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result)}`);
  return result as Extract<T, { ok: true }>;
}

/** What an event says, without its id. */
const change = (event: SeatChangeEvent | null) => event && { at: event.at, seats: event.seats, sections: event.sections };

describe.each(engines)('%s hold engine', (_name, start) => {
  let under: EngineUnderTest;
  let engine: HoldEngine;
  let performances: string[] = [];

  beforeAll(async () => {
    under = await start();
    engine = under.engine;
  });

  afterEach(async () => {
    await Promise.all(performances.map((performanceId) => engine.drop(performanceId)));
    performances = [];
  });

  afterAll(async () => {
    await under?.stop();
  });

  /** A fresh performance id (the shared Redis is never flushed: every test has its own keys). */
  function performance(): string {
    const performanceId = `perf-${randomUUID()}`;
    performances.push(performanceId);
    return performanceId;
  }

  async function loadedPerformance(snapshot: LoadSnapshot = EMPTY): Promise<string> {
    const performanceId = performance();
    expect(await engine.load(performanceId, snapshot)).toBe(true);
    return performanceId;
  }

  /** Invariant 7: every section's counters equal a recount of its cells, and the sections' cells add up to all cells. */
  async function expectCountsMatchCells(performanceId: string, now: number, sections = SECTIONS): Promise<void> {
    const counts = loaded(await engine.counts(performanceId, now));
    let total = 0;
    for (const section of new Set([...sections, ...Object.keys(counts)])) {
      const cells = loaded(await engine.cells(performanceId, now, [section]));
      const recount = { ...NONE };
      for (const cell of cells.values()) recount[cell.state === 'pending' ? 'held' : cell.state] += 1;
      const { capacity: _capacity, price: _price, ...counted } = counts[section] ?? NONE;
      expect({ section, counts: counted }).toEqual({ section, counts: recount });
      total += cells.size;
    }
    expect(loaded(await engine.cells(performanceId, now)).size).toBe(total);
  }

  async function cellsOf(performanceId: string, now = T0): Promise<Record<string, CellState>> {
    return Object.fromEntries(loaded(await engine.cells(performanceId, now)));
  }

  async function eventsSince(performanceId: string, afterId: string): Promise<SeatChangeEvent[]> {
    return (await engine.readEvents(performanceId, afterId, 1000)).events;
  }

  async function lastEventId(performanceId: string): Promise<string> {
    return (await engine.readEvents(performanceId, null, 1)).lastId;
  }

  it('answers not_loaded until the performance is loaded', async () => {
    const performanceId = performance();
    const hold: HoldInfo = { token: 't1', owner: 'alice', createdAt: T0, expiresAt: T0 + MINUTE, seats: [A1] };
    expect(await engine.isLoaded(performanceId)).toBe(false);
    expect(await engine.holdSeats(performanceId, { ...request('t1'), seats: [A1] })).toEqual(NOT_LOADED);
    expect(await engine.holdFirst(performanceId, { ...request('t1'), candidates: [{ seats: [A1], guards: [] }] })).toEqual(NOT_LOADED);
    expect(await engine.getHold(performanceId, 't1', 'alice', T0)).toBe('not_loaded');
    expect(await engine.extend(performanceId, 't1', 'alice', T0, T0 + MINUTE)).toEqual(NOT_LOADED);
    expect(await engine.release(performanceId, 't1', 'alice', T0)).toEqual(NOT_LOADED);
    expect(await engine.beginCheckout(performanceId, 't1', 'alice', T0, 'b1')).toEqual(NOT_LOADED);
    expect(await engine.abortCheckout(performanceId, hold, 'b1', T0)).toEqual({ event: null });
    expect(await engine.settle(performanceId, 'b1', [A1], 'sold', T0)).toEqual(NOT_LOADED);
    expect(await engine.block(performanceId, [A1], true, T0)).toEqual(NOT_LOADED);
    expect(await engine.cells(performanceId, T0)).toBe('not_loaded');
    expect(await engine.counts(performanceId, T0)).toBe('not_loaded');
    expect(await engine.purge(performanceId, T0)).toEqual({ events: [], nextDeadline: null });
    expect(await engine.loadedPerformances()).not.toContain(performanceId);
    expect((await engine.readEvents(performanceId, null, 10)).events).toEqual([]);
  });

  it('loads sold, pending and blocked seats in one step, and only once', async () => {
    const performanceId = performance();
    const snapshot: LoadSnapshot = { sold: [{ seat: A1, bookingId: 'b1' }], pending: [{ seat: A2, bookingId: 'b2' }], blocked: [B1] };
    expect(await engine.load(performanceId, snapshot)).toBe(true);
    expect(await engine.isLoaded(performanceId)).toBe(true);
    expect(await engine.loadedPerformances()).toContain(performanceId);
    const expected = {
      [A1.id]: { state: 'sold', bookingId: 'b1' },
      [A2.id]: { state: 'pending', bookingId: 'b2' },
      [B1.id]: { state: 'blocked' },
    };
    expect(await cellsOf(performanceId)).toEqual(expected);
    expect(await engine.counts(performanceId, T0)).toEqual({ ORCH: { held: 1, sold: 1, blocked: 0 }, 'BAL-L': { held: 0, sold: 0, blocked: 1 } });

    expect(await engine.load(performanceId, { ...EMPTY, blocked: [A3] })).toBe(false);
    expect(await cellsOf(performanceId)).toEqual(expected);
    expect((await engine.readEvents(performanceId, null, 10)).events).toEqual([]);
    await expectCountsMatchCells(performanceId, T0);
  });

  it('holds all seats or none, naming the unavailable ones', async () => {
    const performanceId = await loadedPerformance({ ...EMPTY, sold: [{ seat: A4, bookingId: 'b1' }], blocked: [A5] });
    const first = held(await engine.holdSeats(performanceId, { ...request('t1'), seats: [A1, A2] }));
    expect(first.hold).toEqual({ token: 't1', owner: 'alice', createdAt: T0, expiresAt: T0 + 15 * MINUTE, seats: [A1, A2] });
    expect(change(first.event)).toEqual({
      at: T0,
      seats: [
        { seatId: A1.id, status: 'HELD' },
        { seatId: A2.id, status: 'HELD' },
      ],
      sections: { ORCH: { held: 2, sold: 1, blocked: 1 } },
    });

    const refused = await engine.holdSeats(performanceId, { ...request('t2', { owner: 'bob' }), seats: [A2, A3, A4, A5] });
    expect(refused).toEqual({ ok: false, reason: 'unavailable', seatIds: [A2.id, A4.id, A5.id] });
    expect((await cellsOf(performanceId))[A3.id]).toBeUndefined();
    expect(await engine.getHold(performanceId, 't2', 'bob', T0)).toBeNull();

    expect(await engine.holdSeats(performanceId, { ...request('t1'), seats: [A3] })).toEqual(TOKEN);
    expect(await engine.holdSeats(performanceId, { ...request('t3'), seats: [] })).toEqual({ ok: false, reason: 'unavailable', seatIds: [] });
    await expectCountsMatchCells(performanceId, T0);
  });

  it('adds seats to an existing hold, keeping its deadline, up to maxSeats', async () => {
    const performanceId = await loadedPerformance();
    const add = (token: string, added: SeatRef[], overrides: Partial<HoldRequest> = {}) =>
      engine.holdSeats(performanceId, { ...request(token, { existing: true, maxSeats: 4, expiresAt: T0 + 99 * MINUTE, ...overrides }), seats: added });
    held(await engine.holdSeats(performanceId, { ...request('t1'), seats: [A1, A2] }));

    const more = held(await add('t1', [A2, A3]));
    expect(more.hold).toMatchObject({ expiresAt: T0 + 15 * MINUTE, seats: [A1, A2, A3] });
    expect(more.event?.seats).toEqual([{ seatId: A3.id, status: 'HELD' }]);

    expect(await add('t1', [A4, A5])).toEqual({ ok: false, reason: 'too_many', max: 4 });
    expect((await cellsOf(performanceId))[A4.id]).toBeUndefined();
    expect(held(await add('t1', [A4])).hold.seats).toEqual([A1, A2, A3, A4]);
    expect(held(await add('t1', [A1])).event).toBeNull();

    expect(await add('unknown', [A5])).toEqual(TOKEN);
    expect(await add('t1', [A5], { owner: 'bob' })).toEqual(TOKEN);
    await expectCountsMatchCells(performanceId, T0);
  });

  it('keeps the price each seat was held at, through adds, releases and an aborted checkout', async () => {
    const performanceId = await loadedPerformance();
    const priced = (ref: SeatRef, price: number): SeatRef => ({ ...ref, price });
    held(await engine.holdSeats(performanceId, { ...request('t1'), seats: [priced(A1, 4500), A2] }));
    const candidates = [{ seats: [priced(A3, 0), priced(B1, 12_000)], guards: [] }];
    held(await engine.holdFirst(performanceId, { ...request('t1', { existing: true }), candidates }));
    held(await engine.release(performanceId, 't1', 'alice', T0, [A2.id]));
    const expected = [priced(A1, 4500), priced(A3, 0), priced(B1, 12_000)];
    expect(await engine.getHold(performanceId, 't1', 'alice', T0)).toMatchObject({ seats: expected });

    const { hold } = held(await engine.beginCheckout(performanceId, 't1', 'alice', T0, 'b1'));
    expect(hold.seats).toEqual(expected);
    await engine.abortCheckout(performanceId, hold, 'b1', T0);
    expect(await engine.getHold(performanceId, 't1', 'alice', T0)).toEqual(hold);
  });

  it("answers another owner's token exactly as an unknown one", async () => {
    const performanceId = await loadedPerformance();
    held(await engine.holdSeats(performanceId, { ...request('t1'), seats: [A1] }));
    const attempts = (token: string, owner: string) =>
      Promise.all([
        engine.getHold(performanceId, token, owner, T0),
        engine.extend(performanceId, token, owner, T0, T0 + 30 * MINUTE),
        engine.release(performanceId, token, owner, T0),
        engine.beginCheckout(performanceId, token, owner, T0, 'b1'),
        engine.holdSeats(performanceId, { ...request(token, { owner, existing: true }), seats: [A2] }),
      ]);
    const asBob = await attempts('t1', 'bob');
    expect(asBob).toEqual([null, TOKEN, TOKEN, TOKEN, TOKEN]);
    expect(asBob).toEqual(await attempts('unknown', 'alice'));
    expect(await engine.getHold(performanceId, 't1', 'alice', T0)).toMatchObject({ expiresAt: T0 + 15 * MINUTE, seats: [A1] });
    await expectCountsMatchCells(performanceId, T0);
  });

  it('extends a hold to a new deadline', async () => {
    const performanceId = await loadedPerformance();
    held(await engine.holdSeats(performanceId, { ...request('t1'), seats: [A1] }));
    const extended = held(await engine.extend(performanceId, 't1', 'alice', T0 + MINUTE, T0 + 30 * MINUTE));
    expect(extended).toEqual({ ok: true, event: null, hold: { token: 't1', owner: 'alice', createdAt: T0, expiresAt: T0 + 30 * MINUTE, seats: [A1] } });
    expect(await engine.purge(performanceId, T0 + 20 * MINUTE)).toEqual({ events: [], nextDeadline: T0 + 30 * MINUTE });
    expect(await engine.getHold(performanceId, 't1', 'alice', T0 + 20 * MINUTE)).toMatchObject({ seats: [A1] });
    expect(await engine.getHold(performanceId, 't1', 'alice', T0 + 30 * MINUTE)).toBeNull();
  });

  it('releases some seats of a hold, then all of it', async () => {
    const performanceId = await loadedPerformance();
    held(await engine.holdSeats(performanceId, { ...request('t1'), seats: [A1, A2, A3] }));

    const some = held(await engine.release(performanceId, 't1', 'alice', T0, [A2.id, B4.id]));
    expect(some.hold?.seats).toEqual([A1, A3]);
    expect(change(some.event)).toEqual({ at: T0, seats: [{ seatId: A2.id, status: 'FREE' }], sections: { ORCH: { held: 2, sold: 0, blocked: 0 } } });
    await expectCountsMatchCells(performanceId, T0);

    const rest = held(await engine.release(performanceId, 't1', 'alice', T0));
    expect(rest.hold).toBeNull();
    expect(rest.event?.seats).toEqual([
      { seatId: A1.id, status: 'FREE' },
      { seatId: A3.id, status: 'FREE' },
    ]);
    expect(await cellsOf(performanceId)).toEqual({});
    expect(await engine.getHold(performanceId, 't1', 'alice', T0)).toBeNull();
    expect(await engine.release(performanceId, 't1', 'alice', T0)).toEqual(TOKEN);
    await expectCountsMatchCells(performanceId, T0);
  });

  it('expires holds lazily: the first operation at or after the deadline frees them', async () => {
    const performanceId = await loadedPerformance();
    const deadline = T0 + 1000;
    held(await engine.holdSeats(performanceId, { ...request('t1', { expiresAt: deadline }), seats: [A1, B1] }));
    const mark = await lastEventId(performanceId);

    expect(await engine.holdSeats(performanceId, { ...request('t2', { owner: 'bob', now: deadline - 1 }), seats: [A1] })).toMatchObject({
      reason: 'unavailable',
    });
    await expectCountsMatchCells(performanceId, deadline - 1);
    held(await engine.holdSeats(performanceId, { ...request('t2', { owner: 'bob', now: deadline }), seats: [A1] }));

    const [expiry, bobs, ...rest] = await eventsSince(performanceId, mark);
    expect(rest).toEqual([]);
    expect(change(expiry)).toEqual({
      at: deadline,
      seats: [
        { seatId: A1.id, status: 'FREE' },
        { seatId: B1.id, status: 'FREE' },
      ],
      sections: { ORCH: NONE, 'BAL-L': NONE },
    });
    expect(change(bobs)).toMatchObject({ seats: [{ seatId: A1.id, status: 'HELD' }], sections: { ORCH: { held: 1 } } });
    expect(await engine.getHold(performanceId, 't1', 'alice', deadline)).toBeNull();
    expect(await engine.counts(performanceId, deadline)).toMatchObject({ ORCH: { held: 1 }, 'BAL-L': NONE });
    await expectCountsMatchCells(performanceId, deadline);
  });

  it('reaps expired holds of performances nobody touches, and holds created after a reap', async () => {
    const [early, late] = [await loadedPerformance(), await loadedPerformance()];
    held(await engine.holdSeats(early, { ...request('t1', { expiresAt: T0 + 1000 }), seats: [A1] }));
    held(await engine.holdSeats(late, { ...request('t2', { expiresAt: T0 + 5000 }), seats: [A2] }));
    const mark = await lastEventId(early);
    const reaped = async (now: number) => (await engine.reap(now)).filter((event) => [early, late].includes(event.performanceId));

    expect(await reaped(T0 + 999)).toEqual([]);
    const [first, ...others] = await reaped(T0 + 1000);
    expect(others).toEqual([]);
    expect(first).toMatchObject({ performanceId: early, at: T0 + 1000, seats: [{ seatId: A1.id, status: 'FREE' }], sections: { ORCH: NONE } });
    expect(await eventsSince(early, mark)).toEqual([first]);
    expect((await reaped(T0 + 5000)).map((event) => [event.performanceId, event.seats])).toEqual([[late, [{ seatId: A2.id, status: 'FREE' }]]]);

    // Both are now forgotten by the reaper (no open hold): a new hold must be found again.
    held(await engine.holdSeats(early, { ...request('t3', { now: T0 + 6000, expiresAt: T0 + 7000 }), seats: [A3] }));
    expect((await reaped(T0 + 7000)).map((event) => event.seats)).toEqual([[{ seatId: A3.id, status: 'FREE' }]]);
    await expectCountsMatchCells(early, T0 + 7000);
  });

  it('moves a hold into a checkout and back', async () => {
    const performanceId = await loadedPerformance();
    held(await engine.holdSeats(performanceId, { ...request('t1'), seats: [A2, A1] }));
    const mark = await lastEventId(performanceId);

    const checkout = held(await engine.beginCheckout(performanceId, 't1', 'alice', T0 + MINUTE, 'b1'));
    const hold = { token: 't1', owner: 'alice', createdAt: T0, expiresAt: T0 + 15 * MINUTE, seats: [A2, A1] };
    expect(checkout).toEqual({ ok: true, hold });
    expect(await cellsOf(performanceId)).toEqual({ [A1.id]: { state: 'pending', bookingId: 'b1' }, [A2.id]: { state: 'pending', bookingId: 'b1' } });
    expect(await engine.getHold(performanceId, 't1', 'alice', T0 + MINUTE)).toBeNull();
    expect(await engine.beginCheckout(performanceId, 't1', 'alice', T0 + MINUTE, 'b2')).toEqual(TOKEN);
    // Pending seats outlive the hold's deadline: a running payment has no expiry.
    expect(await engine.counts(performanceId, T0 + 60 * MINUTE)).toEqual({ ORCH: { held: 2, sold: 0, blocked: 0 } });

    expect(await engine.abortCheckout(performanceId, hold, 'b1', T0 + 2 * MINUTE)).toEqual({ event: null });
    expect(await engine.getHold(performanceId, 't1', 'alice', T0 + 2 * MINUTE)).toEqual(hold);
    expect(await eventsSince(performanceId, mark)).toEqual([]);
    await expectCountsMatchCells(performanceId, T0 + 2 * MINUTE);

    // The hold is back with its deadline, so the reaper expires it like any other.
    const [expiry] = (await engine.reap(hold.expiresAt)).filter((event) => event.performanceId === performanceId);
    expect(expiry.seats).toEqual([
      { seatId: A2.id, status: 'FREE' },
      { seatId: A1.id, status: 'FREE' },
    ]);
  });

  it('frees the seats of a checkout aborted past the hold deadline', async () => {
    const performanceId = await loadedPerformance();
    held(await engine.holdSeats(performanceId, { ...request('t1'), seats: [A1, A2] }));
    const { hold } = held(await engine.beginCheckout(performanceId, 't1', 'alice', T0, 'b1'));
    const { event } = await engine.abortCheckout(performanceId, hold, 'b1', hold.expiresAt);
    expect(change(event)).toEqual({
      at: hold.expiresAt,
      seats: [
        { seatId: A1.id, status: 'FREE' },
        { seatId: A2.id, status: 'FREE' },
      ],
      sections: { ORCH: NONE },
    });
    expect(await engine.getHold(performanceId, 't1', 'alice', hold.expiresAt)).toBeNull();
    expect(await cellsOf(performanceId, hold.expiresAt)).toEqual({});
  });

  it('settles a checkout as sold or free, idempotently, leaving conflicts alone', async () => {
    const performanceId = await loadedPerformance({ sold: [{ seat: A5, bookingId: 'b2' }], pending: [], blocked: [A6] });
    held(await engine.holdSeats(performanceId, { ...request('t1'), seats: [A1, A2] }));
    held(await engine.beginCheckout(performanceId, 't1', 'alice', T0, 'b1'));
    held(await engine.holdSeats(performanceId, { ...request('t2', { owner: 'bob' }), seats: [A4] }));
    // A3 is FREE: as after a rebuild that lost the pending cell.
    const booked = [A1, A2, A3, A4, A5, A6];

    const sold = held(await engine.settle(performanceId, 'b1', booked, 'sold', T0));
    expect(sold.conflicts).toEqual([A4.id, A5.id, A6.id]);
    expect(change(sold.event)).toEqual({
      at: T0,
      seats: [A1, A2, A3].map((ref) => ({ seatId: ref.id, status: 'SOLD' })),
      sections: { ORCH: { held: 1, sold: 4, blocked: 1 } },
    });
    await expectCountsMatchCells(performanceId, T0);
    expect(await engine.settle(performanceId, 'b1', booked, 'sold', T0)).toEqual({ ok: true, event: null, conflicts: [A4.id, A5.id, A6.id] });

    const freed = held(await engine.settle(performanceId, 'b1', booked, 'free', T0));
    expect(freed.conflicts).toEqual([A4.id, A5.id, A6.id]);
    expect(freed.event?.seats).toEqual([A1, A2, A3].map((ref) => ({ seatId: ref.id, status: 'FREE' })));
    expect(await engine.settle(performanceId, 'b1', booked, 'free', T0)).toEqual({ ok: true, event: null, conflicts: [A4.id, A5.id, A6.id] });

    // A pending checkout can be freed directly too (payment refused).
    held(await engine.holdSeats(performanceId, { ...request('t3'), seats: [B1] }));
    held(await engine.beginCheckout(performanceId, 't3', 'alice', T0, 'b3'));
    expect(held(await engine.settle(performanceId, 'b3', [B1], 'free', T0)).event?.seats).toEqual([{ seatId: B1.id, status: 'FREE' }]);
    expect(await cellsOf(performanceId)).toEqual({
      [A4.id]: { state: 'held', token: 't2' },
      [A5.id]: { state: 'sold', bookingId: 'b2' },
      [A6.id]: { state: 'blocked' },
    });
    await expectCountsMatchCells(performanceId, T0);
  });

  it('blocks only FREE seats and unblocks only blocked ones, all or none', async () => {
    const performanceId = await loadedPerformance();
    held(await engine.holdSeats(performanceId, { ...request('t1'), seats: [A2] }));

    expect(await engine.block(performanceId, [A1, A2, A3], true, T0)).toEqual({ ok: false, reason: 'unavailable', seatIds: [A2.id] });
    expect((await cellsOf(performanceId))[A1.id]).toBeUndefined();
    const blocked = held(await engine.block(performanceId, [A1, A3], true, T0));
    expect(change(blocked.event)).toEqual({
      at: T0,
      seats: [
        { seatId: A1.id, status: 'BLOCKED' },
        { seatId: A3.id, status: 'BLOCKED' },
      ],
      sections: { ORCH: { held: 1, sold: 0, blocked: 2 } },
    });
    expect(await engine.block(performanceId, [A1], true, T0)).toEqual({ ok: false, reason: 'unavailable', seatIds: [A1.id] });

    expect(await engine.block(performanceId, [A1, A4, A2], false, T0)).toEqual({ ok: false, reason: 'unavailable', seatIds: [A4.id, A2.id] });
    expect((await cellsOf(performanceId))[A1.id]).toEqual({ state: 'blocked' });
    const unblocked = held(await engine.block(performanceId, [A1, A3], false, T0));
    expect(unblocked.event?.seats).toEqual([
      { seatId: A1.id, status: 'FREE' },
      { seatId: A3.id, status: 'FREE' },
    ]);
    await expectCountsMatchCells(performanceId, T0);
  });

  it('logs every change in order with statuses and section counts, readable from any id', async () => {
    const performanceId = await loadedPerformance();
    const start = await lastEventId(performanceId);
    const returned = [
      held(await engine.holdSeats(performanceId, { ...request('t1'), seats: [A1] })).event,
      held(await engine.holdSeats(performanceId, { ...request('t2', { now: T0 + 1 }), seats: [B1, B2] })).event,
      held(await engine.block(performanceId, [A2], true, T0 + 2)).event,
      held(await engine.release(performanceId, 't1', 'alice', T0 + 3)).event,
    ];
    const log = await eventsSince(performanceId, start);
    expect(log).toEqual(returned);
    expect(log.map((event) => ({ ...change(event), performanceId: event.performanceId }))).toEqual([
      { performanceId, at: T0, seats: [{ seatId: A1.id, status: 'HELD' }], sections: { ORCH: { held: 1, sold: 0, blocked: 0 } } },
      {
        performanceId,
        at: T0 + 1,
        seats: [
          { seatId: B1.id, status: 'HELD' },
          { seatId: B2.id, status: 'HELD' },
        ],
        sections: { 'BAL-L': { held: 2, sold: 0, blocked: 0 } },
      },
      { performanceId, at: T0 + 2, seats: [{ seatId: A2.id, status: 'BLOCKED' }], sections: { ORCH: { held: 1, sold: 0, blocked: 1 } } },
      { performanceId, at: T0 + 3, seats: [{ seatId: A1.id, status: 'FREE' }], sections: { ORCH: { held: 0, sold: 0, blocked: 1 } } },
    ]);

    expect(await engine.readEvents(performanceId, start, 2)).toEqual({ events: log.slice(0, 2), lastId: log[1].eventId });
    expect(await engine.readEvents(performanceId, log[1].eventId, 100)).toEqual({ events: log.slice(2), lastId: log[3].eventId });
    expect(await engine.readEvents(performanceId, log[3].eventId, 100)).toEqual({ events: [], lastId: log[3].eventId });
    expect(await engine.readEvents(performanceId, null, 100)).toEqual({ events: [], lastId: log[3].eventId });
  });

  it('holds the first candidate whose seats are FREE and whose guards hold', async () => {
    const performanceId = await loadedPerformance({ sold: [{ seat: A2, bookingId: 'b1' }], pending: [], blocked: [B4] });
    const first = (candidates: Candidate[], overrides: Partial<HoldRequest> = {}) =>
      engine.holdFirst(performanceId, { ...request('t1', overrides), candidates });
    const candidates: Candidate[] = [
      { seats: [A1, A2], guards: [] }, // A2 is sold
      { seats: [B1, B2], guards: [[B3.id, B4.id]] }, // would strand B3 next to the blocked B4
      { seats: [A4, A5], guards: [[A6.id, null]] }, // would strand A6 at the row's end
      { seats: [A5, A6], guards: [[A4.id, A3.id]] },
      { seats: [A3, A4], guards: [] },
    ];
    expect(await first(candidates, { maxSeats: 1 })).toEqual({ ok: false, reason: 'too_many', max: 1 });
    const chosen = held(await first(candidates));
    expect(chosen).toMatchObject({ chosen: 3, hold: { token: 't1', seats: [A5, A6] } });
    expect(chosen.event?.seats).toEqual([
      { seatId: A5.id, status: 'HELD' },
      { seatId: A6.id, status: 'HELD' },
    ]);

    expect(await first(candidates.slice(0, 4), { token: 't2' })).toEqual({ ok: false, reason: 'unavailable', seatIds: [] });
    expect(await first([], { token: 't2' })).toEqual({ ok: false, reason: 'unavailable', seatIds: [] });
    const added = held(await first([{ seats: [A3, A4], guards: [] }], { existing: true }));
    expect(added).toMatchObject({ chosen: 0, hold: { seats: [A5, A6, A3, A4] } });
    await expectCountsMatchCells(performanceId, T0);
  });

  it('chooses among 256 candidates of 20 seats in one call', async () => {
    const rows = Array.from({ length: 256 }, (_, i) => seats('STALLS', `R${i}`, 1, 22));
    // Every row but the last has its 20th seat sold.
    const performanceId = await loadedPerformance({ sold: rows.slice(0, -1).map((row) => ({ seat: row[19], bookingId: 'b1' })), pending: [], blocked: [] });
    const candidates = rows.map((row) => ({ seats: row.slice(0, 20), guards: [[row[20].id, row[21].id]] as [string, string][] }));
    const chosen = held(await engine.holdFirst(performanceId, { ...request('t1', { maxSeats: 20 }), candidates }));
    expect(chosen.chosen).toBe(255);
    expect(chosen.hold.seats).toEqual(rows[255].slice(0, 20));
    await expectCountsMatchCells(performanceId, T0, ['STALLS']);
  });

  it('loads a 100,000-seat snapshot in one call', async () => {
    const sections = Array.from({ length: 10 }, (_, i) => `S${i}`);
    const snapshot: LoadSnapshot = { sold: [], pending: [], blocked: [] };
    for (const section of sections) {
      for (let row = 0; row < 100; row++) {
        for (const [n, ref] of seats(section, `R${row}`, 1, 100).entries()) {
          if (n < 60) snapshot.sold.push({ seat: ref, bookingId: `b${row}` });
          else if (n < 80) snapshot.pending.push({ seat: ref, bookingId: `p${row}` });
          else snapshot.blocked.push(ref);
        }
      }
    }
    const performanceId = await loadedPerformance(snapshot);
    const counts = loaded(await engine.counts(performanceId, T0));
    expect(counts).toEqual(Object.fromEntries(sections.map((section) => [section, { held: 2000, sold: 6000, blocked: 2000 }])));
    expect(loaded(await engine.cells(performanceId, T0, ['S3'])).size).toBe(10_000);
    expect((await engine.holdSeats(performanceId, { ...request('t1'), seats: [seat('S3', 'R7', 55)] })).ok).toBe(false);
  });

  describe('counted sections (time slots)', () => {
    const SLOT = 'slot-1';
    const tickets = (...numbers: number[]) => numbers.map((n) => `${SLOT}#${n}`);
    const quantity = (token: string, count: number, overrides: Partial<HoldRequest> = {}) => ({
      ...request(token, overrides),
      section: SLOT,
      quantity: count,
      price: 1250,
    });

    it('holds quantities within the capacity, all or none, on the first free units', async () => {
      const performanceId = await loadedPerformance({ ...EMPTY, capacities: [{ section: SLOT, capacity: 5 }] });
      const first = held(await engine.holdQuantity(performanceId, quantity('t1', 3)));
      expect(first.hold.seats).toEqual(tickets(1, 2, 3).map((id) => ({ id, section: SLOT, price: 1250 })));
      expect(change(first.event)).toEqual({
        at: T0,
        seats: tickets(1, 2, 3).map((seatId) => ({ seatId, status: 'HELD' })),
        sections: { [SLOT]: { held: 3, sold: 0, blocked: 0, capacity: 5 } },
      });
      expect(await engine.holdQuantity(performanceId, quantity('t2', 3, { owner: 'bob' }))).toEqual({
        ok: false,
        reason: 'unavailable',
        seatIds: [],
      });
      expect(await engine.holdQuantity(performanceId, quantity('t1', 8, { existing: true }))).toEqual({
        ok: false,
        reason: 'too_many',
        max: 10,
      });
      held(await engine.release(performanceId, 't1', 'alice', T0, tickets(2)));
      const second = held(await engine.holdQuantity(performanceId, quantity('t2', 3, { owner: 'bob' })));
      expect(ids(second.hold.seats)).toEqual(tickets(2, 4, 5));
      expect(loaded(await engine.counts(performanceId, T0))[SLOT]).toEqual({ held: 5, sold: 0, blocked: 0, capacity: 5 });
      // Adding to a hold takes from the same capacity; a section without one has nothing to hold.
      expect((await engine.holdQuantity(performanceId, quantity('t1', 1, { existing: true }))).ok).toBe(false);
      expect(await engine.holdQuantity(performanceId, { ...quantity('t3', 1), section: 'no-capacity' })).toEqual({
        ok: false,
        reason: 'unavailable',
        seatIds: [],
      });
      await expectCountsMatchCells(performanceId, T0, [SLOT]);
    });

    it('checks out, settles and expires counted units like seats', async () => {
      const performanceId = await loadedPerformance({ ...EMPTY, capacities: [{ section: SLOT, capacity: 4 }] });
      const hold = held(await engine.holdQuantity(performanceId, quantity('t1', 2))).hold;
      held(await engine.beginCheckout(performanceId, 't1', 'alice', T0, 'b1'));
      held(await engine.settle(performanceId, 'b1', hold.seats, 'sold', T0));
      held(await engine.holdQuantity(performanceId, quantity('t2', 2, { owner: 'bob', expiresAt: T0 + MINUTE })));
      expect((await engine.holdQuantity(performanceId, quantity('t3', 1, { owner: 'carol' }))).ok).toBe(false);
      // bob's hold expires: its two units are free again.
      const later = held(await engine.holdQuantity(performanceId, quantity('t3', 2, { owner: 'carol', now: T0 + MINUTE })));
      expect(ids(later.hold.seats)).toEqual(tickets(3, 4));
      expect(loaded(await engine.counts(performanceId, T0 + MINUTE))[SLOT]).toEqual({ held: 2, sold: 2, blocked: 0, capacity: 4 });
      await expectCountsMatchCells(performanceId, T0 + MINUTE, [SLOT]);
    });

    it('sets capacities all or none, never below held + sold, with an event', async () => {
      const other = 'slot-2';
      const performanceId = await loadedPerformance({ ...EMPTY, capacities: [{ section: SLOT, capacity: 5 }] });
      held(await engine.holdQuantity(performanceId, quantity('t1', 3)));
      const before = await lastEventId(performanceId);
      expect(
        await engine.setCapacities(performanceId, [{ section: other, capacity: 10 }, { section: SLOT, capacity: 2 }], T0),
      ).toEqual({ ok: false, reason: 'unavailable', seatIds: [SLOT] });
      expect(await eventsSince(performanceId, before)).toEqual([]);
      expect((await engine.holdQuantity(performanceId, { ...quantity('t2', 1), section: other })).ok).toBe(false);

      const set = held(await engine.setCapacities(performanceId, [{ section: other, capacity: 10 }, { section: SLOT, capacity: 3 }], T0));
      expect(change(set.event)).toEqual({
        at: T0,
        seats: [],
        sections: { [other]: { held: 0, sold: 0, blocked: 0, capacity: 10 }, [SLOT]: { held: 3, sold: 0, blocked: 0, capacity: 3 } },
      });
      expect((await eventsSince(performanceId, before)).map(change)).toEqual([change(set.event)]);
      expect((await engine.holdQuantity(performanceId, quantity('t2', 1, { owner: 'bob' }))).ok).toBe(false);
      expect((await engine.holdQuantity(performanceId, { ...quantity('t2', 10, { owner: 'bob' }), section: other })).ok).toBe(true);
      // A price given with a capacity is carried in the counters and the event.
      const priced = held(await engine.setCapacities(performanceId, [{ section: SLOT, capacity: 4, price: 1800 }], T0));
      expect(priced.event?.sections).toEqual({ [SLOT]: { held: 3, sold: 0, blocked: 0, capacity: 4, price: 1800 } });
      expect(loaded(await engine.counts(performanceId, T0))[SLOT]).toEqual({ held: 3, sold: 0, blocked: 0, capacity: 4, price: 1800 });
    });

    it('300 holds of 1-3 units of a 200-capacity section: never over capacity', async () => {
      const performanceId = await loadedPerformance({ ...EMPTY, capacities: [{ section: SLOT, capacity: 200 }] });
      const results = await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          under.peers[i % under.peers.length].holdQuantity(performanceId, quantity(`t${i}`, 1 + (i % 3), { owner: `u${i}` })),
        ),
      );
      const units = results.flatMap((result) => (result.ok ? result.hold.seats : []));
      expect(new Set(ids(units)).size).toBe(units.length);
      expect(units.length).toBeLessThanOrEqual(200);
      // All or none: a refused request holds nothing, and only a full slot refuses.
      expect(units.length).toBeGreaterThan(200 - 3);
      expect(loaded(await engine.counts(performanceId, T0))[SLOT]).toMatchObject({ held: units.length, capacity: 200 });
      await expectCountsMatchCells(performanceId, T0, [SLOT]);
    });
  });

  describe('under concurrency', () => {
    /** Spreads the calls over the engine's peers (several connections, as several servers). */
    const concurrently = <T>(count: number, call: (engine: HoldEngine, i: number) => Promise<T>) =>
      Promise.all(Array.from({ length: count }, (_, i) => call(under.peers[i % under.peers.length], i)));

    /** Every successful hold's seats are held by its token, and no seat is in two holds. */
    async function expectExclusive(performanceId: string, holds: HoldInfo[], sections: string[]): Promise<void> {
      const cells = loaded(await engine.cells(performanceId, T0));
      const holders = new Map<string, string>();
      for (const hold of holds) {
        for (const ref of hold.seats) {
          expect(holders.get(ref.id)).toBeUndefined();
          holders.set(ref.id, hold.token);
          expect(cells.get(ref.id)).toEqual({ state: 'held', token: hold.token });
        }
      }
      expect(cells.size).toBe(holders.size);
      await expectCountsMatchCells(performanceId, T0, sections);
    }

    it('500 holds of the same 4 seats: exactly one wins', async () => {
      const performanceId = await loadedPerformance();
      const four = [A1, A2, A3, A4];
      const results = await concurrently(500, (peer, i) =>
        peer.holdSeats(performanceId, { ...request(`t${i}`, { owner: `u${i}` }), seats: four }),
      );
      const winners = results.filter((result) => result.ok);
      expect(winners).toHaveLength(1);
      for (const result of results) if (!result.ok) expect(result).toEqual({ ok: false, reason: 'unavailable', seatIds: ids(four) });
      await expectExclusive(performanceId, winners.map((winner) => held(winner).hold), SECTIONS);
    });

    it('500 holds of 2 random seats in a 1,000-seat section: no seat in two holds', async () => {
      const performanceId = await loadedPerformance();
      const section = Array.from({ length: 10 }, (_, row) => seats('FLOOR', `R${row}`, 1, 100)).flat();
      const results = await concurrently(500, (peer, i) => {
        const first = Math.floor(Math.random() * section.length);
        const second = (first + 1 + Math.floor(Math.random() * (section.length - 1))) % section.length;
        return peer.holdSeats(performanceId, { ...request(`t${i}`, { owner: `u${i}` }), seats: [section[first], section[second]] });
      });
      const winners = results.filter((result) => result.ok).map((result) => held(result).hold);
      expect(winners.length).toBeGreaterThan(0);
      await expectExclusive(performanceId, winners, ['FLOOR']);
    });

    it('300 best-available holds over overlapping candidates: no overlap', async () => {
      const performanceId = await loadedPerformance();
      const row = seats('CIRCLE', 'A', 1, 100);
      const results = await concurrently(300, (peer, i) => {
        const candidates = Array.from({ length: 10 }, () => {
          const start = Math.floor(Math.random() * (row.length - 1));
          return { seats: row.slice(start, start + 2), guards: [] };
        });
        return peer.holdFirst(performanceId, { ...request(`t${i}`, { owner: `u${i}` }), candidates });
      });
      const winners = results.filter((result) => result.ok).map((result) => held(result).hold);
      expect(winners.length).toBeGreaterThan(0);
      await expectExclusive(performanceId, winners, ['CIRCLE']);
    });

    it('loses no hold created while reapers run: every one is reaped at its deadline', async () => {
      const performanceIds = await Promise.all(Array.from({ length: 60 }, () => loadedPerformance()));
      // Each performance had a hold that is gone, so a reaper sees no open hold and forgets it.
      for (const performanceId of performanceIds) {
        held(await engine.holdSeats(performanceId, { ...request('gone'), seats: [A1] }));
        held(await engine.release(performanceId, 'gone', 'alice', T0));
      }
      let holding = true;
      const holds = Promise.all(
        under.peers.map(async (peer, first) => {
          for (let i = first; i < performanceIds.length; i += under.peers.length) {
            held(await peer.holdSeats(performanceIds[i], { ...request('t1'), seats: [A2] }));
          }
        }),
      ).finally(() => (holding = false));
      const reapers = under.peers.map(async (peer) => {
        do await peer.reap(T0);
        while (holding);
      });
      await Promise.all([holds, ...reapers]);

      const reaped = (await engine.reap(T0 + 15 * MINUTE)).filter((event) => performanceIds.includes(event.performanceId));
      expect(reaped.map((event) => event.performanceId).sort()).toEqual([...performanceIds].sort());
    });
  });
});
