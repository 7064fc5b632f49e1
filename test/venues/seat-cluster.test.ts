import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Cluster } from 'ioredis';
import { RedisHoldEngine } from '../../src/infra/venues/redis-hold-engine.js';
import { auditVenueInvariants } from '../../src/services/venues/audit.js';
import { errorCode, type GraphQLResult } from '../helpers/graphql.js';
import { CHECKOUT, HOLD_SEATS, SEAT_STATES, checkoutInput, type BookingData, type HoldData } from '../helpers/holds.js';
import { RedisCluster } from '../helpers/redis-cluster.js';
import { redisServerInstalled } from '../helpers/redis-process.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createChart, createPerformance, createVenue } from '../helpers/venues.js';

/**
 * "Runs on Redis Cluster unchanged" (VENUES.md): the seat storms of seat-storm.test.ts
 * through the API of a server whose hold engine is a 3-master Redis Cluster of this
 * test's own (every key of a performance shares one hash tag, so each script runs on one
 * node). The server's other Redis use (the event fan-out) stays on REDIS_URL.
 */
const clustered = redisServerInstalled() ? describe : describe.skip;

interface SeatMap {
  sections: { key: string; capacity: number; held: number; sold: number; blocked: number; available: number }[];
  seats: { seatId: string; status: string }[];
}

const random = (n: number) => Math.floor(Math.random() * n);

clustered('seat storms on a Redis Cluster hold engine', () => {
  let cluster: RedisCluster;
  let client: Cluster;
  let server: TestServer;
  let admin: string;
  let venueId: string;
  const run = randomUUID().slice(0, 8);

  beforeAll(async () => {
    cluster = await RedisCluster.start(3);
    client = cluster.client();
    const engine = new RedisHoldEngine(client, { indexPrefix: `test:${run}:` });
    server = await startTestServer({ booking: { holdTtlMs: 60_000, paymentTimeoutMs: 5_000, sweepIntervalMs: 0 } }, { venues: { engine } });
    admin = await server.token({ sub: `admin-cluster-${run}`, role: 'admin' });
    venueId = (await createVenue(server.client, admin)).id;
  });

  afterAll(async () => {
    await server?.stop();
    client?.disconnect();
    await cluster?.stop();
  });

  const guests = (count: number, tag: string) =>
    Promise.all(Array.from({ length: count }, (_, i) => server.token({ sub: `guest-cluster-${tag}-${run}-${i}`, role: 'guest' })));

  async function performanceOn(rows: number, seatsPerRow: number): Promise<string> {
    const chart = await createChart(server.client, admin, venueId, [{ key: 'MAIN', category: 'A', rows, seatsPerRow }]);
    return (await createPerformance(server.client, admin, venueId, chart.id, { prices: [{ category: 'A', amount: '80.00' }] })).id;
  }

  const seatMap = async (performanceId: string) => (await server.client.ok<{ performance: SeatMap }>(SEAT_STATES, { id: performanceId })).performance;
  const withStatus = (map: SeatMap, status: string) => map.seats.filter((s) => s.status === status).map((s) => s.seatId).sort();

  const holdStorm = (tokens: string[], performanceId: string, seatIds: (i: number) => string[]) =>
    Promise.all(tokens.map((token, i) => server.client.request<{ holdSeats: HoldData }>(HOLD_SEATS, { input: { performanceId, seatIds: seatIds(i) } }, token)));

  /** The section's counters equal its seats counted by status, and the audit finds nothing. */
  async function expectConsistent(performanceId: string, map: SeatMap): Promise<void> {
    const [section] = map.sections;
    expect(map.sections).toEqual([
      {
        key: 'MAIN',
        capacity: map.seats.length,
        held: withStatus(map, 'HELD').length,
        sold: withStatus(map, 'SOLD').length,
        blocked: withStatus(map, 'BLOCKED').length,
        available: withStatus(map, 'FREE').length,
      },
    ]);
    expect(section.capacity).toBe(map.seats.length);
    const reports = await auditVenueInvariants(server.orm.em.fork(), server.app.holds, { offeringIds: [performanceId] });
    expect(reports.flatMap((r) => r.violations)).toEqual([]);
  }

  function outcomes(results: GraphQLResult[]): Record<string, number> {
    const counted: Record<string, number> = {};
    for (const result of results) {
      const code = errorCode(result) ?? 'ok';
      counted[code] = (counted[code] ?? 0) + 1;
    }
    return counted;
  }

  it('500 guests on the same 4 seats: exactly one wins; a checkout sells them', async () => {
    const performanceId = await performanceOn(2, 10);
    const wanted = ['MAIN-R1-4', 'MAIN-R1-5', 'MAIN-R1-6', 'MAIN-R1-7'];
    const tokens = await guests(500, 'same');
    const results = await holdStorm(tokens, performanceId, () => wanted);

    expect(outcomes(results)).toEqual({ ok: 1, SOLD_OUT: 499 });
    const winner = results.findIndex((r) => r.data?.holdSeats);
    expect(results[winner].data!.holdSeats.items.map((i) => i.seatId)).toEqual(wanted);
    for (const loser of results.filter((r) => r.errors)) {
      expect([...(loser.errors![0].extensions!.unavailableSeatIds as string[])].sort()).toEqual([...wanted].sort());
    }
    expect(withStatus(await seatMap(performanceId), 'HELD')).toEqual([...wanted].sort());
    // The performance's state is on the cluster: the server's engine is the one given.
    expect(await client.exists(`{perf:${performanceId}}:loaded`)).toBe(1);

    const booking = await server.client.ok<{ checkout: BookingData }>(
      CHECKOUT,
      { input: checkoutInput(results[winner].data!.holdSeats.token) },
      tokens[winner],
    );
    expect(booking.checkout.status).toBe('CONFIRMED');
    const map = await seatMap(performanceId);
    expect(withStatus(map, 'SOLD')).toEqual([...wanted].sort());
    expect(withStatus(map, 'HELD')).toEqual([]);
    await expectConsistent(performanceId, map);
  });

  it('500 guests each on 2 random seats of 1,000: no seat in two holds, map and counters agree', async () => {
    const performanceId = await performanceOn(20, 50);
    const seatOf = (n: number) => `MAIN-R${Math.floor(n / 50) + 1}-${(n % 50) + 1}`;
    const asked = Array.from({ length: 500 }, () => {
      const first = random(1000);
      return [first, (first + 1 + random(999)) % 1000].map(seatOf);
    });
    const results = await holdStorm(await guests(500, 'random'), performanceId, (i) => asked[i]);

    const counted = outcomes(results);
    expect(Object.keys(counted).filter((code) => code !== 'ok' && code !== 'SOLD_OUT')).toEqual([]);
    const held = new Set<string>();
    for (const result of results) {
      for (const item of result.data?.holdSeats.items ?? []) {
        expect(held.has(item.seatId)).toBe(false);
        held.add(item.seatId);
      }
    }
    expect(held.size).toBe(2 * counted.ok);
    results.forEach((result, i) => {
      for (const seatId of (result.errors?.[0].extensions!.unavailableSeatIds as string[] | undefined) ?? []) {
        expect(asked[i]).toContain(seatId);
        expect(held.has(seatId)).toBe(true);
      }
    });
    const map = await seatMap(performanceId);
    expect(withStatus(map, 'HELD')).toEqual([...held].sort());
    await expectConsistent(performanceId, map);
  });
});
