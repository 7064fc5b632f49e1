import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { auditVenueInvariants } from '../../src/services/venues/audit.js';
import { errorCode, type GraphQLResult } from '../helpers/graphql.js';
import { CHECKOUT, HOLD_BEST, HOLD_SEATS, SEAT_STATES, checkoutInput, type BookingData, type HoldData } from '../helpers/holds.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createChart, createPerformance, createVenue, type SectionSpec } from '../helpers/venues.js';

/**
 * Seat storms through the public API (revel-backend's load suite, VENUES.md): many guests,
 * each with a token of their own, on real HTTP connections at once, against PostgreSQL and
 * the hold engine the server runs on (Redis with REDIS_URL). After each storm the seat map,
 * the section counters and the venue audit must agree with what the guests were told.
 */
let server: TestServer;
let admin: string;
let venueId: string;
const run = randomUUID().slice(0, 8);

beforeAll(async () => {
  server = await startTestServer({ booking: { holdTtlMs: 60_000, paymentTimeoutMs: 5_000, sweepIntervalMs: 0 } });
  admin = await server.token({ sub: `admin-storm-${run}`, role: 'admin' });
  venueId = (await createVenue(server.client, admin)).id;
});

afterAll(async () => {
  await server.stop();
});

interface SeatMap {
  sections: { key: string; capacity: number; held: number; sold: number; blocked: number; available: number }[];
  seats: { seatId: string; status: string }[];
}

/** `count` guest tokens, each of its own principal. */
const guests = (count: number, tag: string) =>
  Promise.all(Array.from({ length: count }, (_, i) => server.token({ sub: `guest-${tag}-${run}-${i}`, role: 'guest' })));

async function performanceOn(sections: SectionSpec[]): Promise<string> {
  const chart = await createChart(server.client, admin, venueId, sections);
  const prices = [...new Set(sections.map((s) => s.category))].map((category) => ({ category, amount: category === 'A' ? '80.00' : '45.50' }));
  return (await createPerformance(server.client, admin, venueId, chart.id, { prices })).id;
}

async function seatMap(performanceId: string): Promise<SeatMap> {
  return (await server.client.ok<{ performance: SeatMap }>(SEAT_STATES, { id: performanceId })).performance;
}

/** Seat ids by status. */
function byStatus(map: SeatMap): Map<string, string[]> {
  const grouped = new Map<string, string[]>();
  for (const { seatId, status } of map.seats) grouped.set(status, [...(grouped.get(status) ?? []), seatId]);
  return grouped;
}

/** Each section's counters are the seats counted by status in the same map. */
function expectCountersMatchSeats(map: SeatMap): void {
  for (const section of map.sections) {
    const seats = map.seats.filter((s) => s.seatId.startsWith(`${section.key}-`));
    const count = (status: string) => seats.filter((s) => s.status === status).length;
    expect({ key: section.key, capacity: seats.length, held: count('HELD'), sold: count('SOLD'), blocked: count('BLOCKED'), available: count('FREE') }).toEqual({
      key: section.key,
      capacity: section.capacity,
      held: section.held,
      sold: section.sold,
      blocked: section.blocked,
      available: section.available,
    });
  }
}

async function expectAuditClean(performanceId: string): Promise<void> {
  const reports = await auditVenueInvariants(server.orm.em.fork(), server.app.holds, { offeringIds: [performanceId] });
  expect(reports.flatMap((r) => r.violations)).toEqual([]);
}

/** Every guest asks at once, each on a connection of its own. */
function storm<T>(tokens: string[], query: string, input: (i: number) => Record<string, unknown>) {
  return Promise.all(tokens.map((token, i) => server.client.request<T>(query, { input: input(i) }, token)));
}

/** Seat ids held by the successful results, failing on a seat in two holds. */
function heldSeats(results: GraphQLResult<{ holdSeats?: HoldData; holdBestAvailable?: HoldData }>[]): Set<string> {
  const seats = new Set<string>();
  for (const result of results) {
    const hold = result.data?.holdSeats ?? result.data?.holdBestAvailable;
    for (const item of hold?.items ?? []) {
      expect(seats.has(item.seatId)).toBe(false);
      seats.add(item.seatId);
    }
  }
  return seats;
}

const codes = (results: GraphQLResult[]) => {
  const counted: Record<string, number> = {};
  for (const result of results) {
    const code = errorCode(result) ?? (result.status === 200 ? 'ok' : `http ${result.status}`);
    counted[code] = (counted[code] ?? 0) + 1;
  }
  return counted;
};

const random = (n: number) => Math.floor(Math.random() * n);

describe('hold storm', () => {
  it('500 guests on the same 4 seats: exactly one wins, the others are told which seats were taken', async () => {
    const performanceId = await performanceOn([{ key: 'ORCH', category: 'A', rows: 2, seatsPerRow: 10 }]);
    const wanted = ['ORCH-R1-4', 'ORCH-R1-5', 'ORCH-R1-6', 'ORCH-R1-7'];
    const results = await storm<{ holdSeats: HoldData }>(await guests(500, 'same'), HOLD_SEATS, () => ({ performanceId, seatIds: wanted }));

    expect(codes(results)).toEqual({ ok: 1, SOLD_OUT: 499 });
    const winner = results.find((r) => r.data?.holdSeats)!.data!.holdSeats;
    expect(winner.items.map((i) => i.seatId)).toEqual(wanted);
    for (const loser of results.filter((r) => errorCode(r) === 'SOLD_OUT')) {
      expect([...(loser.errors![0].extensions!.unavailableSeatIds as string[])].sort()).toEqual([...wanted].sort());
    }
    const map = await seatMap(performanceId);
    expect(byStatus(map).get('HELD')!.sort()).toEqual([...wanted].sort());
    expectCountersMatchSeats(map);
    await expectAuditClean(performanceId);
  });

  it('500 guests each on 2 random seats of a 1,000-seat section: no seat in two holds, map and counters agree', async () => {
    const performanceId = await performanceOn([{ key: 'MAIN', category: 'A', rows: 20, seatsPerRow: 50 }]);
    const asked = Array.from({ length: 500 }, () => {
      const first = random(1000);
      const second = (first + 1 + random(999)) % 1000;
      return [first, second].map((n) => `MAIN-R${Math.floor(n / 50) + 1}-${(n % 50) + 1}`);
    });
    const results = await storm<{ holdSeats: HoldData }>(await guests(500, 'random'), HOLD_SEATS, (i) => ({ performanceId, seatIds: asked[i] }));

    const outcomes = codes(results);
    expect(Object.keys(outcomes).sort()).toEqual(outcomes.SOLD_OUT ? ['SOLD_OUT', 'ok'] : ['ok']);
    const held = heldSeats(results);
    expect(held.size).toBe(2 * outcomes.ok);
    const map = await seatMap(performanceId);
    // The HELD seats of the map are exactly the seats of the holds the guests were given.
    expect([...(byStatus(map).get('HELD') ?? [])].sort()).toEqual([...held].sort());
    // A refusal names only seats it asked for, and each of them is held by someone.
    results.forEach((result, i) => {
      if (!result.errors) return;
      const unavailable = result.errors[0].extensions!.unavailableSeatIds as string[];
      expect(unavailable.length).toBeGreaterThan(0);
      for (const seatId of unavailable) {
        expect(asked[i]).toContain(seatId);
        expect(held.has(seatId)).toBe(true);
      }
    });
    expectCountersMatchSeats(map);
    await expectAuditClean(performanceId);
  });
});

describe('best-available herd', () => {
  /**
   * 300 guests ask for 4 adjacent seats at once, on 3 sections of 20 rows of 30 seats.
   *
   * What the picker guarantees (seating/best-available.ts): a hold never leaves a lone
   * free seat beside it while a block that leaves none is still available at that
   * moment, because it tries every such block it knows of (guarded, so the guard is
   * checked atomically with the hold) before any block that would. A row of 30 gives 7
   * such blocks (28 seats, the last 2 stay together), so the chart gives 420 and the
   * herd needs 300: one was available at every hold. The chart starts with no lone
   * seat, so after the herd there is none in any row, whatever order the holds ran in.
   */
  it('300 guests holding 4 best seats at once: blocks of one row, never shared, and no lone seat left', async () => {
    const sections: SectionSpec[] = [
      { key: 'LEFT', category: 'A', rows: 20, seatsPerRow: 30 },
      { key: 'CENTRE', category: 'A', rows: 20, seatsPerRow: 30 },
      { key: 'RIGHT', category: 'B', rows: 20, seatsPerRow: 30 },
    ];
    const performanceId = await performanceOn(sections);
    const results = await storm<{ holdBestAvailable: HoldData }>(await guests(300, 'herd'), HOLD_BEST, () => ({ performanceId, quantity: 4 }));

    expect(codes(results)).toEqual({ ok: 300 });
    const held = heldSeats(results);
    expect(held.size).toBe(1200);
    for (const result of results) {
      const seats = result.data!.holdBestAvailable.items.map((i) => parseSeat(i.seatId));
      expect(new Set(seats.map((s) => `${s.section}-${s.row}`)).size).toBe(1);
      const numbers = seats.map((s) => s.number).sort((a, b) => a - b);
      expect(numbers).toEqual([numbers[0], numbers[0] + 1, numbers[0] + 2, numbers[0] + 3]);
    }

    const map = await seatMap(performanceId);
    expect([...(byStatus(map).get('HELD') ?? [])].sort()).toEqual([...held].sort());
    const status = new Map(map.seats.map((s) => [s.seatId, s.status]));
    const lone: string[] = [];
    for (const section of sections) {
      for (let row = 1; row <= section.rows; row++) {
        const free = (n: number) => n >= 1 && n <= section.seatsPerRow && status.get(`${section.key}-R${row}-${n}`) === 'FREE';
        for (let n = 1; n <= section.seatsPerRow; n++) if (free(n) && !free(n - 1) && !free(n + 1)) lone.push(`${section.key}-R${row}-${n}`);
      }
    }
    expect(lone).toEqual([]);
    expectCountersMatchSeats(map);
    await expectAuditClean(performanceId);
  });
});

describe('checkout storm', () => {
  it('100 guests check out their 2-seat holds at once: every booking CONFIRMED, every seat SOLD', async () => {
    const performanceId = await performanceOn([{ key: 'ORCH', category: 'A', rows: 10, seatsPerRow: 20 }]);
    const tokens = await guests(100, 'checkout');
    // Seats 2i+1 and 2i+2 of the section for guest i: holds that cannot clash, so all 100 exist.
    const pairOf = (i: number) => [2 * i, 2 * i + 1].map((n) => `ORCH-R${Math.floor(n / 20) + 1}-${(n % 20) + 1}`);
    const holds = await storm<{ holdSeats: HoldData }>(tokens, HOLD_SEATS, (i) => ({ performanceId, seatIds: pairOf(i) }));
    expect(codes(holds)).toEqual({ ok: 100 });

    const bookings = await storm<{ checkout: BookingData }>(tokens, CHECKOUT, (i) => checkoutInput(holds[i].data!.holdSeats.token));
    expect(codes(bookings)).toEqual({ ok: 100 });
    bookings.forEach((result, i) => {
      expect(result.data!.checkout.status).toBe('CONFIRMED');
      expect(result.data!.checkout.items.map((item) => item.seatId)).toEqual(pairOf(i));
    });

    const map = await seatMap(performanceId);
    expect(byStatus(map).get('SOLD')!.length).toBe(200);
    expect(map.sections).toEqual([{ key: 'ORCH', capacity: 200, held: 0, sold: 200, blocked: 0, available: 0 }]);
    expectCountersMatchSeats(map);
    const live = await server.orm.em
      .fork()
      .getConnection()
      .execute<{ n: number; seats: number }[]>(
        `select count(distinct b.id)::int as n, count(*)::int as seats from booking b join booking_item i on i.booking_id = b.id
          where b.offering_id = ? and b.status = 'CONFIRMED' and i.live`,
        [performanceId],
      );
    expect(live).toEqual([{ n: 100, seats: 200 }]);
    await expectAuditClean(performanceId);
  });
});

/** `<section>-<row>-<number>`; the sections here have no '-' in their keys. */
function parseSeat(seatId: string): { section: string; row: string; number: number } {
  const [section, row, number] = seatId.split('-');
  return { section, row, number: Number(number) };
}
