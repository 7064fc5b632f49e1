import { Redis } from 'ioredis';
import { Pool } from 'undici';
import { signToken } from '../src/infra/auth.js';
import type { Orm } from '../src/infra/database.js';
import { RedisHoldEngine } from '../src/infra/venues/redis-hold-engine.js';
import { auditVenueInvariants } from '../src/services/venues/audit.js';
import type { SeatRef } from '../src/services/venues/holds/hold-engine.js';
import { luaSeatHolds } from './ceilings.js';
import { apiCaller, classifyGraphQL, drive, percentiles, type LoadResult } from './load.js';
import { measure, type ServerProcess } from './processes.js';
import { SEAT_SCENARIOS, type BenchOptions } from './scales.js';

/**
 * The seated-performance scenarios (VENUES.md: "hold storm ... at 100,000 seats and 500
 * concurrent clients"). One performance, seeded through the server's GraphQL API as an
 * admin would: a 200-seat section HOT and four equal sections S1-S4 of rows of 50 seats
 * making up the rest of `scale.seats`.
 *
 *   - seat-hold: holdSeats of 1-4 random seats of S1-S4; half the holds are released at
 *     once (releaseHold), the other half once the client's next hold has answered;
 *   - seat-hot: the same on HOT alone, where most attempts find a seat taken (SOLD_OUT
 *     is the expected refusal and is counted apart);
 *   - seat-map: Performance.seats of the whole performance, by a handful of clients.
 *
 * Every hold is released in the end, so the run measures a steady state. Kept holds
 * left to expire would fill the performance within the run at the ceiling's pace
 * (~5,000 seats/s at 4,000 holds/s, half of them kept), and the figures would then count
 * cheap refusals instead of holds.
 *
 * The ceiling of a hold is the same Lua script called straight from ioredis
 * (RedisHoldEngine in this process) at the same concurrency. After each scenario the
 * venue audit (invariants 6, 7, 9) runs on the performance and a violation fails the bench.
 */

export interface SeatRow {
  scenario: string;
  result: LoadResult;
  ceiling?: { name: string; result: LoadResult };
  peakRssMb?: number;
  cpuPercent?: number;
  notes: string[];
}

const HOT_SEATS = 200;
const SEATS_PER_ROW = 50;
const MAIN_SECTIONS = ['S1', 'S2', 'S3', 'S4'];
/** Clients reading the seat map: a map is a large answer (~4 MB at 100,000 seats), read now and then. */
const MAP_CLIENTS = 4;
/** A hold's price in minor units (category A), as the server passes it to the script. */
const PRICE_A = 8000;

const HOLD_SEATS = `mutation($input: HoldSeatsInput!) { holdSeats(input: $input) { token expiresAt total { amount } } }`;
const RELEASE_HOLD = `mutation($token: ID!) { releaseHold(token: $token) { token } }`;
const SEAT_MAP = `query($id: ID!) { performance(id: $id) { seats { seatId status } } }`;

const random = (n: number) => Math.floor(Math.random() * n);

/** The seats of the chart, as the picker of each scenario draws from them. */
class SeatPlan {
  readonly rowsPerSection: number;

  constructor(readonly seats: number) {
    const perSection = (seats - HOT_SEATS) / MAIN_SECTIONS.length;
    if (!Number.isInteger(perSection / SEATS_PER_ROW)) {
      throw new Error(`${seats} seats: ${seats - HOT_SEATS} must split into 4 sections of rows of ${SEATS_PER_ROW}`);
    }
    this.rowsPerSection = perSection / SEATS_PER_ROW;
  }

  sectionsInput() {
    const section = (key: string, category: string, rows: number) => ({
      key,
      name: `Section ${key}`,
      category,
      rows: Array.from({ length: rows }, (_, r) => ({ label: `R${r + 1}`, seats: SEATS_PER_ROW })),
    });
    return [
      section('HOT', 'A', HOT_SEATS / SEATS_PER_ROW),
      ...MAIN_SECTIONS.map((key, i) => section(key, i % 2 === 0 ? 'A' : 'B', this.rowsPerSection)),
    ];
  }

  /** 1-4 distinct random seats of the main sections (or of HOT). */
  pick(hot: boolean): SeatRef[] {
    const count = 1 + random(4);
    const picked = new Map<string, SeatRef>();
    while (picked.size < count) {
      const section = hot ? 'HOT' : MAIN_SECTIONS[random(MAIN_SECTIONS.length)];
      const rows = hot ? HOT_SEATS / SEATS_PER_ROW : this.rowsPerSection;
      const id = `${section}-R${1 + random(rows)}-${1 + random(SEATS_PER_ROW)}`;
      picked.set(id, { id, section, price: PRICE_A });
    }
    return [...picked.values()];
  }
}

/** Runs the seat scenarios the options ask for against the server; violations go to `failures`. */
export async function seatScenarios(context: {
  options: BenchOptions;
  server: ServerProcess;
  orm: Orm;
  redisUrl: string;
  secret: string;
  failures: string[];
}): Promise<SeatRow[]> {
  const { options, server, orm, redisUrl, secret, failures } = context;
  const wanted = SEAT_SCENARIOS.filter((s) => options.scenarios.includes(s));
  if (wanted.length === 0) return [];
  const plan = new SeatPlan(options.scale.seats);
  const clients = options.seatClients ?? options.scale.seatClients;
  const durationMs = options.durationMs;
  const started = performance.now();
  const performanceId = await seedPerformance(server.url, secret, plan);
  console.log(`seat performance: ${plan.seats} seats, seeded through the API in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const tokens = await Promise.all(Array.from({ length: clients }, (_, i) => signToken(secret, { sub: `bench-seat-guest-${i}`, role: 'guest' })));

  const redis = new Redis(redisUrl);
  const engine = new RedisHoldEngine(redis);
  const audit = async (scenario: string) => {
    const reports = await auditVenueInvariants(orm.em.fork(), engine, {
      offeringIds: [performanceId],
      staleBefore: new Date(Date.now() - 15_000),
    });
    const problems = reports.flatMap((r) => r.violations);
    if (problems.length) failures.push(...problems.slice(0, 20).map((p) => `${scenario}: ${p}`));
    console.log(`  venue invariants after ${scenario}: ${problems.length ? `${problems.length} VIOLATED` : 'hold'}`);
  };

  const rows: SeatRow[] = [];
  try {
    for (const scenario of wanted) {
      console.log(`${scenario}${scenario === 'seat-map' ? `: ${MAP_CLIENTS} clients` : `: ${clients} clients`}`);
      if (scenario === 'seat-map') {
        const run = await measure([server.pid], () =>
          drive({
            origin: server.origin,
            connections: MAP_CLIENTS,
            durationMs,
            next: () => ({ path: '/graphql', body: JSON.stringify({ query: SEAT_MAP, variables: { id: performanceId } }) }),
            classify: seatMapOutcome(plan.seats),
          }),
        );
        await audit(scenario);
        rows.push({ scenario, result: run.result, peakRssMb: run.peakRssMb, cpuPercent: run.cpuPercent, notes: [] });
        continue;
      }
      const hot = scenario === 'seat-hot';
      const run = await measure([server.pid], () =>
        driveHolds({
          origin: server.origin,
          tokens,
          durationMs,
          holdBody: () => JSON.stringify({ query: HOLD_SEATS, variables: { input: { performanceId, seatIds: plan.pick(hot).map((s) => s.id) } } }),
          tokenOf: (answer) => (JSON.parse(answer) as { data: { holdSeats: { token: string } } }).data.holdSeats.token,
        }),
      );
      await audit(scenario);
      const ceiling = await luaSeatHolds({ redisUrl, clients, durationMs, pick: () => plan.pick(hot) });
      const { holds, releases } = run.result;
      const okPerSecond = (holds.outcomes.ok ?? 0) / holds.seconds;
      const ceilingOk = (ceiling.outcomes.ok ?? 0) / ceiling.seconds;
      rows.push({
        scenario,
        result: holds,
        peakRssMb: run.peakRssMb,
        cpuPercent: run.cpuPercent,
        ceiling: { name: 'Lua via ioredis', result: ceiling },
        notes: [
          `${scenario}: ${okPerSecond.toFixed(0)} holds/s made (${((100 * okPerSecond) / ceilingOk).toFixed(0)}% of the ceiling's ${ceilingOk.toFixed(0)}); ` +
            `${releases.requests} releases, p50 ${releases.latencyMs.p50.toFixed(1)} ms, p99 ${releases.latencyMs.p99.toFixed(1)} ms, outcomes ${JSON.stringify(releases.outcomes)}; ` +
            `Lua ceiling p50 ${ceiling.latencyMs.p50.toFixed(1)} ms, p99 ${ceiling.latencyMs.p99.toFixed(1)} ms, outcomes ${JSON.stringify(ceiling.outcomes)}`,
        ],
      });
    }
  } finally {
    await engine.drop(performanceId);
    redis.disconnect();
  }
  rows[0]?.notes.unshift(`seated performance: ${plan.seats} seats; seat-hold and seat-hot with ${clients} clients, seat-map with ${MAP_CLIENTS}`);
  return rows;
}

/** Venue, chart and performance, made through the API with an admin token. Answers the performance id. */
async function seedPerformance(url: string, secret: string, plan: SeatPlan): Promise<string> {
  const admin = await signToken(secret, { sub: 'bench-admin', role: 'admin' });
  const call = apiCaller(url, admin);
  const { createVenue: venue } = await call<{ createVenue: { id: string } }>(
    `mutation($input: CreateVenueInput!) { createVenue(input: $input) { id } }`,
    { name: 'Bench arena', city: 'Bench city', timezone: 'UTC', currency: 'EUR' },
  );
  const { createSeatingChart: chart } = await call<{ createSeatingChart: { id: string; seatCount: number } }>(
    `mutation($input: CreateSeatingChartInput!) { createSeatingChart(input: $input) { id seatCount } }`,
    { venueId: venue.id, name: `Bench chart ${plan.seats}`, sections: plan.sectionsInput() },
  );
  if (chart.seatCount !== plan.seats) throw new Error(`the chart has ${chart.seatCount} seats, not ${plan.seats}`);
  const startsAt = new Date(Date.now() + 30 * 86_400_000);
  const { createPerformance: performanceMade } = await call<{ createPerformance: { id: string } }>(
    `mutation($input: CreatePerformanceInput!) { createPerformance(input: $input) { id } }`,
    {
      venueId: venue.id,
      seatingChartId: chart.id,
      title: 'Bench night',
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 3 * 3_600_000).toISOString(),
      prices: [
        { category: 'A', amount: (PRICE_A / 100).toFixed(2) },
        { category: 'B', amount: '45.00' },
      ],
    },
  );
  return performanceMade.id;
}

/** A seat map answer is 'ok' only with every seat of the chart in it. */
function seatMapOutcome(seats: number) {
  return (status: number, body: string): string => {
    if (status !== 200 || !body.startsWith('{"data"')) return classifyGraphQL(status, body);
    let count = 0;
    for (let at = body.indexOf('"seatId"'); at >= 0; at = body.indexOf('"seatId"', at + 8)) count++;
    return count === seats ? 'ok' : `${count} seats`;
  };
}

/**
 * A closed loop per client over HTTP keep-alive (as load.ts's drive): each client sends
 * the hold mutation `holdBody()` makes, then releases half of its holds at once and the
 * other half once its next attempt has answered (`tokenOf` reads a hold's token from its
 * answer). The latency of holds and of releases is kept apart.
 */
export async function driveHolds(options: {
  origin: string;
  tokens: string[];
  durationMs: number;
  holdBody: () => string;
  tokenOf: (answer: string) => string;
}): Promise<{ holds: LoadResult; releases: LoadResult }> {
  const pool = new Pool(options.origin, { connections: options.tokens.length, pipelining: 1, keepAliveTimeout: 60_000 });
  const holds = new Tally();
  const releases = new Tally();
  const started = performance.now();
  const deadline = started + options.durationMs;
  const post = async (tally: Tally, token: string, body: string): Promise<string | undefined> => {
    const sent = performance.now();
    let outcome: string;
    let text: string | undefined;
    try {
      const response = await pool.request({
        method: 'POST',
        path: '/graphql',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body,
      });
      text = await response.body.text();
      outcome = classifyGraphQL(response.statusCode, text);
    } catch (error) {
      outcome = `network: ${(error as Error).message}`;
    }
    tally.add(performance.now() - sent, outcome);
    return outcome === 'ok' ? text : undefined;
  };
  const release = (token: string, holdToken: string) => post(releases, token, JSON.stringify({ query: RELEASE_HOLD, variables: { token: holdToken } }));
  const client = async (id: number) => {
    const token = options.tokens[id];
    let kept: string | undefined;
    while (performance.now() < deadline) {
      const answer = await post(holds, token, options.holdBody());
      const holdToken = answer === undefined ? undefined : options.tokenOf(answer);
      const previous = kept;
      kept = undefined;
      if (holdToken !== undefined) {
        if (Math.random() < 0.5) await release(token, holdToken);
        else kept = holdToken;
      }
      if (previous !== undefined) await release(token, previous);
    }
    if (kept !== undefined) await release(token, kept);
  };
  await Promise.all(options.tokens.map((_, i) => client(i)));
  const seconds = (performance.now() - started) / 1000;
  await pool.close();
  return { holds: holds.result(seconds), releases: releases.result(seconds) };
}

/** Latencies and outcomes of one kind of request. */
class Tally {
  private readonly latencies: number[] = [];
  private readonly outcomes: Record<string, number> = {};

  add(latencyMs: number, outcome: string): void {
    this.latencies.push(latencyMs);
    this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + 1;
  }

  result(seconds: number): LoadResult {
    const requests = this.latencies.length;
    return { requests, seconds, throughput: requests / seconds, latencyMs: percentiles(this.latencies), outcomes: { ...this.outcomes } };
  }
}
