import { Redis } from 'ioredis';
import { signToken } from '../src/infra/auth.js';
import type { Orm } from '../src/infra/database.js';
import { RedisHoldEngine } from '../src/infra/venues/redis-hold-engine.js';
import type { DiningTable } from '../src/entities/venues/dining-table.entity.js';
import { seatingCandidates, tablesFor } from '../src/services/venues/dining/seatings.js';
import { auditVenueInvariants } from '../src/services/venues/audit.js';
import { luaHolds } from './ceilings.js';
import { apiCaller, type Call } from './load.js';
import { measure, type ServerProcess } from './processes.js';
import { OFFERING_SCENARIOS, type BenchOptions } from './scales.js';
import { driveHolds, type SeatRow } from './seats.js';

/**
 * Timed entry and restaurant tables under a rush, on the same hold engine as seats:
 *
 *   - slot-storm: one exhibition's day of 18 half-hour slots of 200 tickets; each client
 *     holds 1-3 tickets of a random slot (holdTimedEntry) and releases half of its holds
 *     at once, the other half after its next attempt, as seat-hold does;
 *   - table-storm: one evening of a 30-table restaurant (seatings every 15 minutes from
 *     18:00 to 21:30, a 90-minute turn); each client holds a table for 2-8 at a random
 *     seating (holdTable), released the same way. Most seatings are full most of the
 *     time: SOLD_OUT is the expected refusal, counted apart.
 *
 * The ceiling of each is the same Lua script called straight from ioredis at the same
 * concurrency (holdQuantity on a slot; holdFirst over the fitting tables' cells). After
 * each scenario the venue audit (invariants 6, 7, 9) runs on the offering.
 */

const SLOTS = 18;
const SLOT_CAPACITY = 200;
const TICKET_PRICE_MINOR = 1500;
/** Tables of the restaurant: [count, minCovers, maxCovers]. */
const TABLES: [number, number, number][] = [
  [10, 1, 2],
  [10, 3, 4],
  [6, 5, 6],
  [4, 7, 8],
];
const SEATINGS = 15; // 18:00 ... 21:30 every 15 minutes
const TURN_MINUTES = 90;

const HOLD_TIMED_ENTRY = `mutation($input: HoldTimedEntryInput!) { holdTimedEntry(input: $input) { token total { amount } } }`;
const HOLD_TABLE = `mutation($input: HoldTableInput!) { holdTable(input: $input) { token total { amount } } }`;

const random = (n: number) => Math.floor(Math.random() * n);

export async function offeringScenarios(context: {
  options: BenchOptions;
  server: ServerProcess;
  orm: Orm;
  redisUrl: string;
  secret: string;
  failures: string[];
}): Promise<SeatRow[]> {
  const { options, server, orm, redisUrl, secret, failures } = context;
  const wanted = OFFERING_SCENARIOS.filter((s) => options.scenarios.includes(s));
  if (wanted.length === 0) return [];
  const admin = await signToken(secret, { sub: 'bench-admin', role: 'admin' });
  const call = apiCaller(server.url, admin);
  const { createVenue: venue } = await call<{ createVenue: { id: string } }>(
    `mutation($input: CreateVenueInput!) { createVenue(input: $input) { id } }`,
    { name: 'Bench museum and bistro', city: 'Bench city', timezone: 'UTC', currency: 'EUR' },
  );
  const date = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);

  const redis = new Redis(redisUrl);
  const engine = new RedisHoldEngine(redis);
  const rows: SeatRow[] = [];
  const dropped: string[] = [];
  try {
    for (const scenario of wanted) {
      const clients = scenario === 'slot-storm' ? options.scale.slotClients : options.scale.tableClients;
      const tokens = await Promise.all(Array.from({ length: clients }, (_, i) => signToken(secret, { sub: `bench-${scenario}-${i}`, role: 'guest' })));
      console.log(`${scenario}: ${clients} clients`);
      const { offeringId, holdBody, tokenOf, ceiling } =
        scenario === 'slot-storm' ? await slotStorm(call, venue.id, date, redisUrl) : await tableStorm(call, venue.id, date, redisUrl);
      dropped.push(offeringId);
      const run = await measure([server.pid], () => driveHolds({ origin: server.origin, tokens, durationMs: options.durationMs, holdBody, tokenOf }));
      const reports = await auditVenueInvariants(orm.em.fork(), engine, { offeringIds: [offeringId], staleBefore: new Date(Date.now() - 15_000) });
      const problems = reports.flatMap((r) => r.violations);
      if (problems.length) failures.push(...problems.slice(0, 20).map((p) => `${scenario}: ${p}`));
      console.log(`  venue invariants after ${scenario}: ${problems.length ? `${problems.length} VIOLATED` : 'hold'}`);
      const lua = await ceiling(clients, options.durationMs);
      const { holds, releases } = run.result;
      const okPerSecond = (holds.outcomes.ok ?? 0) / holds.seconds;
      const ceilingOk = (lua.outcomes.ok ?? 0) / lua.seconds;
      rows.push({
        scenario,
        result: holds,
        peakRssMb: run.peakRssMb,
        cpuPercent: run.cpuPercent,
        ceiling: { name: 'Lua via ioredis', result: lua },
        notes: [
          `${scenario}: ${clients} clients; ${okPerSecond.toFixed(0)} holds/s made (${((100 * okPerSecond) / ceilingOk).toFixed(0)}% of the ceiling's ${ceilingOk.toFixed(0)}); ` +
            `${releases.requests} releases, p50 ${releases.latencyMs.p50.toFixed(1)} ms, p99 ${releases.latencyMs.p99.toFixed(1)} ms; ` +
            `Lua ceiling p50 ${lua.latencyMs.p50.toFixed(1)} ms, p99 ${lua.latencyMs.p99.toFixed(1)} ms, outcomes ${JSON.stringify(lua.outcomes)}`,
        ],
      });
    }
  } finally {
    for (const id of dropped) await engine.drop(id);
    redis.disconnect();
  }
  return rows;
}

interface Storm {
  offeringId: string;
  holdBody: () => string;
  tokenOf: (answer: string) => string;
  ceiling: (clients: number, durationMs: number) => ReturnType<typeof luaHolds>;
}

/** One exhibition with a day of slots, made through the API. */
async function slotStorm(call: Call, venueId: string, date: string, redisUrl: string): Promise<Storm> {
  const { createExhibition: exhibition } = await call<{ createExhibition: { id: string } }>(
    `mutation($input: CreateExhibitionInput!) { createExhibition(input: $input) { id } }`,
    { venueId, title: 'Bench exhibition' },
  );
  const { setTimeSlots: slots } = await call<{ setTimeSlots: { id: string }[] }>(
    `mutation($input: SetTimeSlotsInput!) { setTimeSlots(input: $input) { id } }`,
    {
      exhibitionId: exhibition.id,
      from: date,
      to: new Date(Date.parse(date) + 86_400_000).toISOString().slice(0, 10),
      opens: '09:00',
      closes: '18:00',
      intervalMinutes: 30,
      capacity: SLOT_CAPACITY,
      price: (TICKET_PRICE_MINOR / 100).toFixed(2),
    },
  );
  if (slots.length !== SLOTS) throw new Error(`expected ${SLOTS} slots, got ${slots.length}`);
  const sections = Array.from({ length: SLOTS }, (_, i) => `slot-${i}`);
  return {
    offeringId: exhibition.id,
    holdBody: () =>
      JSON.stringify({ query: HOLD_TIMED_ENTRY, variables: { input: { timeSlotId: slots[random(SLOTS)].id, quantity: 1 + random(3) } } }),
    tokenOf: (answer) => (JSON.parse(answer) as { data: { holdTimedEntry: { token: string } } }).data.holdTimedEntry.token,
    ceiling: (clients, durationMs) =>
      luaHolds({
        redisUrl,
        clients,
        durationMs,
        snapshot: { sold: [], pending: [], blocked: [], capacities: sections.map((section) => ({ section, capacity: SLOT_CAPACITY })) },
        hold: (engine, id, request) =>
          engine.holdQuantity(id, { ...request, maxSeats: 10, section: sections[random(SLOTS)], quantity: 1 + random(3), price: TICKET_PRICE_MINOR }),
      }),
  };
}

/** One restaurant with 30 tables, open 18:00-23:00 every day, made through the API. */
async function tableStorm(call: Call, venueId: string, date: string, redisUrl: string): Promise<Storm> {
  const { createRestaurant: restaurant } = await call<{ createRestaurant: { id: string } }>(
    `mutation($input: CreateRestaurantInput!) { createRestaurant(input: $input) { id } }`,
    {
      venueId,
      name: 'Bench bistro',
      slotMinutes: 15,
      turnMinutes: TURN_MINUTES,
      maxPartySize: 8,
      depositPerCover: '5.00',
      openingHours: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, opens: '18:00', closes: '23:00' })),
    },
  );
  const tables: Pick<DiningTable, 'id' | 'label' | 'minCovers' | 'maxCovers'>[] = [];
  for (const [count, minCovers, maxCovers] of TABLES) {
    for (let i = 0; i < count; i++) {
      const { createDiningTable: table } = await call<{ createDiningTable: { id: string } }>(
        `mutation($input: CreateDiningTableInput!) { createDiningTable(input: $input) { id } }`,
        { restaurantId: restaurant.id, label: `T${minCovers}-${maxCovers}-${i + 1}`, minCovers, maxCovers },
      );
      tables.push({ id: table.id, label: `T${minCovers}-${maxCovers}-${i + 1}`, minCovers, maxCovers });
    }
  }
  const starts = Array.from({ length: SEATINGS }, (_, i) => new Date(Date.parse(`${date}T18:00:00Z`) + i * 15 * 60_000));
  return {
    offeringId: restaurant.id,
    holdBody: () =>
      JSON.stringify({
        query: HOLD_TABLE,
        variables: { input: { restaurantId: restaurant.id, startsAt: starts[random(SEATINGS)].toISOString(), partySize: 2 + random(7) } },
      }),
    tokenOf: (answer) => (JSON.parse(answer) as { data: { holdTable: { token: string } } }).data.holdTable.token,
    ceiling: (clients, durationMs) =>
      luaHolds({
        redisUrl,
        clients,
        durationMs,
        hold: (engine, id, request) => {
          const party = 2 + random(7);
          const fitting = tablesFor(tables as DiningTable[], party);
          const candidates = seatingCandidates(fitting, starts[random(SEATINGS)], TURN_MINUTES, date, { size: party, depositMinor: party * 500 });
          return engine.holdFirst(id, { ...request, candidates });
        },
      }),
  };
}
