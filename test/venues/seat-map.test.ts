import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SeatBlock } from '../../src/entities/venues/seat-block.entity.js';
import { newHoldToken } from '../../src/services/venues/holds/hold-token.js';
import { seatRef } from '../../src/services/venues/seat-state.js';
import { errorCode, type GraphQLResult } from '../helpers/graphql.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  BLOCK_SEATS,
  createChart,
  createPerformance,
  createVenue,
  largeChart,
  SEAT_MAP,
  seatedPerformance,
  staffClaims,
} from '../helpers/venues.js';

interface SeatState {
  seatId: string;
  status: 'FREE' | 'HELD' | 'SOLD' | 'BLOCKED';
}

interface SectionAvailability {
  key: string;
  name: string;
  category: string;
  capacity: number;
  held: number;
  sold: number;
  blocked: number;
  available: number;
  price: { amount: string; currency: string };
}

interface SeatMap {
  available: number;
  sections: SectionAvailability[];
  seats: SeatState[];
}

let server: TestServer;
let admin: string;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.token({ sub: 'seat-map-admin', role: 'admin' });
});

afterAll(() => server.stop());

async function seatMap(performanceId: string, filter: { sectionKeys?: string[]; status?: string } = {}): Promise<SeatMap> {
  return (await server.client.ok<{ performance: SeatMap }>(SEAT_MAP, { id: performanceId, ...filter })).performance;
}

const statusOf = (map: SeatMap, seatId: string) => map.seats.find((seat) => seat.seatId === seatId)?.status;

function block(performanceId: string, seatIds: string[], blocked: boolean, token = admin): Promise<GraphQLResult> {
  return server.client.request(BLOCK_SEATS, { input: { performanceId, seatIds, blocked } }, token);
}

const blockRows = (performanceId: string) => server.orm.em.fork().count(SeatBlock, { performanceId });

/** Holds seats straight in the engine (the hold API is not this suite's): the state a buyer's hold leaves. */
async function holdInEngine(performanceId: string, seatIds: string[]) {
  await seatMap(performanceId, { sectionKeys: [] }); // the engine has the performance loaded from here on
  const now = Date.now();
  const token = newHoldToken(performanceId);
  const result = await server.app.holds.holdSeats(performanceId, {
    token,
    owner: 'buyer',
    now,
    expiresAt: now + 10 * 60_000,
    existing: false,
    maxSeats: seatIds.length,
    seats: seatIds.map(seatRef),
  });
  expect(result.ok).toBe(true);
  return token;
}

/** Holds, checks out and sells seats in the engine: the state a paid booking leaves. */
async function sellInEngine(performanceId: string, seatIds: string[]) {
  const token = await holdInEngine(performanceId, seatIds);
  const bookingId = randomUUID();
  const now = Date.now();
  expect((await server.app.holds.beginCheckout(performanceId, token, 'buyer', now, bookingId)).ok).toBe(true);
  expect((await server.app.holds.settle(performanceId, bookingId, seatIds.map(seatRef), 'sold', now)).ok).toBe(true);
}

describe('the seat map', () => {
  it('lists every seat FREE at first, in chart order, with the sections and their prices', async () => {
    const { performance } = await seatedPerformance(server.client, admin);
    const { performance: read } = await server.client.ok(
      `query($id: ID!) { performance(id: $id) { available seats { seatId status } seatingChart { name sections { rows { seats { id } } } } } }`,
      { id: performance.id },
    );
    const chartOrder = read.seatingChart.sections.flatMap((s: any) => s.rows.flatMap((r: any) => r.seats.map((seat: any) => seat.id)));
    expect(read.seatingChart.name).toEqual(expect.any(String));
    expect(read.seats).toEqual(chartOrder.map((seatId: string) => ({ seatId, status: 'FREE' })));
    expect(read.seats).toHaveLength(46);
    expect(read.seats[0].seatId).toBe('ORCH-R1-1');
    expect(read.available).toBe(46);

    const map = await seatMap(performance.id);
    expect(map.sections).toEqual([
      { key: 'ORCH', name: 'Section ORCH', category: 'A', capacity: 30, held: 0, sold: 0, blocked: 0, available: 30, price: { amount: '80.00', currency: 'EUR' } },
      { key: 'BAL', name: 'Section BAL', category: 'B', capacity: 16, held: 0, sold: 0, blocked: 0, available: 16, price: { amount: '45.50', currency: 'EUR' } },
    ]);
  });

  it('shows held and sold seats, and filters by section and status', async () => {
    const { performance } = await seatedPerformance(server.client, admin);
    await holdInEngine(performance.id, ['ORCH-R1-1', 'ORCH-R1-2']);
    await sellInEngine(performance.id, ['BAL-R1-1']);
    const map = await seatMap(performance.id);
    expect(map.seats.filter((seat) => seat.status !== 'FREE')).toEqual([
      { seatId: 'ORCH-R1-1', status: 'HELD' },
      { seatId: 'ORCH-R1-2', status: 'HELD' },
      { seatId: 'BAL-R1-1', status: 'SOLD' },
    ]);
    expect(map.sections.map(({ key, held, sold, available }) => ({ key, held, sold, available }))).toEqual([
      { key: 'ORCH', held: 2, sold: 0, available: 28 },
      { key: 'BAL', held: 0, sold: 1, available: 15 },
    ]);
    expect(map.available).toBe(43);

    expect((await seatMap(performance.id, { sectionKeys: ['BAL'] })).seats.map((s) => s.seatId)).toEqual(
      map.seats.filter((s) => s.seatId.startsWith('BAL-')).map((s) => s.seatId),
    );
    expect((await seatMap(performance.id, { status: 'HELD' })).seats.map((s) => s.seatId)).toEqual(['ORCH-R1-1', 'ORCH-R1-2']);
    expect((await seatMap(performance.id, { sectionKeys: ['BAL'], status: 'FREE' })).seats).toHaveLength(15);
    expect((await seatMap(performance.id, { sectionKeys: [] })).seats).toEqual([]);

    const unknown = await server.client.request(SEAT_MAP, { id: performance.id, sectionKeys: ['ORCH', 'NOPE'] });
    expect(errorCode(unknown)).toBe('BAD_USER_INPUT');
    expect(unknown.errors![0].extensions!.field).toBe('sectionKeys');
  });
});

describe('blocking seats', () => {
  it('blocks FREE seats all or none, shows and counts them, and unblocks only blocked ones', async () => {
    const { venue, performance } = await seatedPerformance(server.client, admin);
    const staff = await server.token(staffClaims([venue.id]));

    const blocked = await block(performance.id, ['BAL-R2-8', 'ORCH-R1-1', 'BAL-R2-8'], true, staff);
    expect(blocked.data!.blockSeats).toEqual([
      { seatId: 'BAL-R2-8', status: 'BLOCKED' },
      { seatId: 'ORCH-R1-1', status: 'BLOCKED' },
    ]);
    let map = await seatMap(performance.id);
    expect(statusOf(map, 'BAL-R2-8')).toBe('BLOCKED');
    expect(statusOf(map, 'ORCH-R1-1')).toBe('BLOCKED');
    expect(map.sections.map((s) => [s.key, s.blocked, s.available])).toEqual([['ORCH', 1, 29], ['BAL', 1, 15]]);
    expect(map.available).toBe(44);
    expect((await seatMap(performance.id, { status: 'BLOCKED' })).seats.map((s) => s.seatId)).toEqual(['ORCH-R1-1', 'BAL-R2-8']);
    expect(await blockRows(performance.id)).toBe(2);

    // One seat not FREE (blocked, or held): refused, and the other stays FREE.
    await holdInEngine(performance.id, ['ORCH-R3-5']);
    for (const [seatIds, unavailable] of [
      [['ORCH-R1-2', 'ORCH-R1-1'], ['ORCH-R1-1']],
      [['ORCH-R1-2', 'ORCH-R3-5'], ['ORCH-R3-5']],
    ]) {
      const refused = await block(performance.id, seatIds, true, staff);
      expect(errorCode(refused)).toBe('INVALID_STATE');
      expect(refused.errors![0].extensions!.unavailableSeatIds).toEqual(unavailable);
    }
    map = await seatMap(performance.id);
    expect(statusOf(map, 'ORCH-R1-2')).toBe('FREE');
    expect(statusOf(map, 'ORCH-R3-5')).toBe('HELD');
    expect(map.sections[0]).toMatchObject({ held: 1, blocked: 1, available: 28 });
    expect(await blockRows(performance.id)).toBe(2);

    // Unblocking a seat that is not blocked: refused, and the blocked one stays blocked.
    const notBlocked = await block(performance.id, ['ORCH-R1-1', 'ORCH-R1-3'], false, staff);
    expect(errorCode(notBlocked)).toBe('INVALID_STATE');
    expect(notBlocked.errors![0].extensions!.unavailableSeatIds).toEqual(['ORCH-R1-3']);
    expect(statusOf(await seatMap(performance.id), 'ORCH-R1-1')).toBe('BLOCKED');
    expect(await blockRows(performance.id)).toBe(2);

    const unblocked = await block(performance.id, ['ORCH-R1-1'], false, staff);
    expect(unblocked.data!.blockSeats).toEqual([{ seatId: 'ORCH-R1-1', status: 'FREE' }]);
    map = await seatMap(performance.id);
    expect(statusOf(map, 'ORCH-R1-1')).toBe('FREE');
    expect(map.sections[0]).toMatchObject({ blocked: 0, held: 1, available: 29 });
    expect(await blockRows(performance.id)).toBe(1);
  });

  it('refuses unknown seats (listing them), no seats, and more than 10,000', async () => {
    const { performance } = await seatedPerformance(server.client, admin);
    const unknown = await block(performance.id, ['ORCH-R1-1', 'NOPE-R1-1', 'ORCH-R9-1', 'ORCH-R1-11', 'garbage'], true);
    expect(errorCode(unknown)).toBe('BAD_USER_INPUT');
    expect(unknown.errors![0].extensions).toMatchObject({
      field: 'seatIds',
      unknownSeatIds: ['NOPE-R1-1', 'ORCH-R9-1', 'ORCH-R1-11', 'garbage'],
    });
    expect(errorCode(await block(performance.id, [], true))).toBe('BAD_USER_INPUT');
    const tooMany = Array.from({ length: 10_001 }, () => 'ORCH-R1-1');
    expect(errorCode(await block(performance.id, tooMany, true))).toBe('BAD_USER_INPUT');
    expect(statusOf(await seatMap(performance.id), 'ORCH-R1-1')).toBe('FREE');
    expect(await blockRows(performance.id)).toBe(0);
  });

  it('undoes the engine step when the record cannot be written, and takes a record that is already there', async () => {
    const { performance } = await seatedPerformance(server.client, admin);
    const connection = server.orm.em.getConnection();
    const name = `seat_block_fails_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    await connection.execute(`create function ${name}() returns trigger language plpgsql as $$
      begin if new.performance_id = '${performance.id}' then raise exception 'refused by test'; end if; return new; end $$`);
    await connection.execute(`create trigger ${name} before insert on seat_block for each row execute function ${name}()`);
    try {
      const failed = await block(performance.id, ['ORCH-R2-3', 'ORCH-R2-4'], true);
      expect(errorCode(failed)).toBe('INTERNAL_SERVER_ERROR');
    } finally {
      await connection.execute(`drop trigger ${name} on seat_block`);
      await connection.execute(`drop function ${name}()`);
    }
    const map = await seatMap(performance.id);
    expect(map.seats.every((seat) => seat.status === 'FREE')).toBe(true);
    expect(map.available).toBe(46);

    // PostgreSQL says blocked where the engine says FREE (an undo that failed): blocking agrees with it.
    await server.orm.em.fork().insert(SeatBlock, { performanceId: performance.id, seatId: 'ORCH-R2-3' });
    expect((await block(performance.id, ['ORCH-R2-3', 'ORCH-R2-4'], true)).errors).toBeUndefined();
    expect(await blockRows(performance.id)).toBe(2);
    expect((await seatMap(performance.id, { status: 'BLOCKED' })).seats.map((s) => s.seatId)).toEqual(['ORCH-R2-3', 'ORCH-R2-4']);
  });

  it('keeps blocked seats when the engine loses its state: they are rebuilt from PostgreSQL', async () => {
    const { performance } = await seatedPerformance(server.client, admin);
    expect((await block(performance.id, ['BAL-R1-3'], true)).errors).toBeUndefined();
    await holdInEngine(performance.id, ['BAL-R1-4']);
    await server.app.holds.drop(performance.id);
    const map = await seatMap(performance.id);
    expect(map.seats.filter((seat) => seat.status !== 'FREE')).toEqual([{ seatId: 'BAL-R1-3', status: 'BLOCKED' }]);
    expect(map.sections[1]).toMatchObject({ blocked: 1, held: 0, available: 15 });
  });
});

describe('a 100,000-seat performance', () => {
  it('serves every seat state in chart order, filtered by section and status, consistent with the section counts', async () => {
    const venue = await createVenue(server.client, admin);
    const chart = await createChart(server.client, admin, venue.id, largeChart(100_000));
    const performance = await createPerformance(server.client, admin, venue.id, chart.id);

    // 10,000 blocked in S2 (rows 1-20, one call), 10 held in S1, 5 sold in S3.
    const blockedIds = Array.from({ length: 10_000 }, (_, i) => `S2-R${Math.floor(i / 500) + 1}-${(i % 500) + 1}`);
    const heldIds = Array.from({ length: 10 }, (_, i) => `S1-R1-${i + 1}`);
    const soldIds = Array.from({ length: 5 }, (_, i) => `S3-R50-${496 + i}`);
    expect((await block(performance.id, blockedIds, true)).errors).toBeUndefined();
    await holdInEngine(performance.id, heldIds);
    await sellInEngine(performance.id, soldIds);

    const map = await seatMap(performance.id);
    const expectedOrder = largeChart(100_000).flatMap((s) => s.rows.flatMap((r) => Array.from({ length: r.seats }, (_, i) => `${s.key}-${r.label}-${i + 1}`)));
    expect(map.seats).toHaveLength(100_000);
    expect(map.seats.map((seat) => seat.seatId)).toEqual(expectedOrder);

    const expectedStatus = new Map<string, string>([
      ...blockedIds.map((id) => [id, 'BLOCKED'] as const),
      ...heldIds.map((id) => [id, 'HELD'] as const),
      ...soldIds.map((id) => [id, 'SOLD'] as const),
    ]);
    const wrong = map.seats.filter((seat) => seat.status !== (expectedStatus.get(seat.seatId) ?? 'FREE'));
    expect(wrong).toEqual([]);

    // Each section's counts agree with its seats in the list.
    const tally = new Map<string, Record<string, number>>();
    for (const seat of map.seats) {
      const section = seat.seatId.split('-')[0];
      const counts = tally.get(section) ?? { FREE: 0, HELD: 0, SOLD: 0, BLOCKED: 0 };
      counts[seat.status]++;
      tally.set(section, counts);
    }
    for (const section of map.sections) {
      const counts = tally.get(section.key)!;
      expect({ key: section.key, capacity: section.capacity, held: section.held, sold: section.sold, blocked: section.blocked, available: section.available }).toEqual({
        key: section.key,
        capacity: counts.FREE + counts.HELD + counts.SOLD + counts.BLOCKED,
        held: counts.HELD,
        sold: counts.SOLD,
        blocked: counts.BLOCKED,
        available: counts.FREE,
      });
    }
    expect(map.available).toBe(100_000 - 10_000 - 10 - 5);
    expect(map.sections.map((s) => [s.key, s.available])).toEqual([['S1', 24_990], ['S2', 15_000], ['S3', 24_995], ['S4', 25_000]]);

    const s2 = await seatMap(performance.id, { sectionKeys: ['S2'] });
    expect(s2.seats).toHaveLength(25_000);
    expect(s2.seats.every((seat) => seat.seatId.startsWith('S2-'))).toBe(true);
    expect((await seatMap(performance.id, { status: 'BLOCKED' })).seats.map((s) => s.seatId)).toEqual(blockedIds);
    expect((await seatMap(performance.id, { status: 'SOLD' })).seats.map((s) => s.seatId)).toEqual(soldIds);
    const freeInS1S3 = await seatMap(performance.id, { sectionKeys: ['S3', 'S1'], status: 'FREE' });
    expect(freeInS1S3.seats).toHaveLength(50_000 - 15);
    expect(freeInS1S3.seats[0].seatId).toBe('S1-R1-11');
    expect(await blockRows(performance.id)).toBe(10_000);
  });
});
