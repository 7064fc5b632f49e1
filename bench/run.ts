import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { StayCacheReport } from '../src/app/stay-cache-audit.js';
import { signToken } from '../src/infra/auth.js';
import { openDatabase } from '../src/infra/database.js';
import { invariantViolations } from '../src/services/booking/audit.js';
import { addDays } from '../src/services/common/dates.js';
import { bareHttpServer, bareSearchServer, rawReserve, type Stay } from './ceilings.js';
import { fanout, fanoutCeiling, type FanoutResult } from './fanout.js';
import { classifyGraphQL, drive, type LoadResult } from './load.js';
import { measure, startServer } from './processes.js';
import { parseArgs, type BenchOptions } from './scales.js';
import { offeringScenarios } from './offerings.js';
import {
  installPostgraphile,
  installSearchFunction,
  normalizePostgraphileSearch,
  normalizeServerSearch,
  postgraphileSearchBody,
  postgraphileVersion,
  startPostgraphile,
} from './postgraphile.js';
import { seatScenarios } from './seats.js';
import { loadCatalog, seed } from './seed.js';

const root = path.resolve(import.meta.dirname, '..');
const SECRET = 'bench-secret-not-for-production';
const RESERVE = `mutation($input: ReserveInput!) { reserve(input: $input) { id status } }`;
const SEARCH = `query($h: ID!, $in: LocalDate!, $out: LocalDate!) { searchAvailability(hotelId: $h, checkIn: $in, checkOut: $out) { available total { amount } } }`;

interface Row {
  scenario: string;
  result: LoadResult;
  ceiling?: { name: string; result: LoadResult };
  peakRssMb?: number;
  cpuPercent?: number;
  /** Lines printed under the table. */
  notes?: string[];
}

const random = (n: number) => Math.floor(Math.random() * n);
/** Database connections of each server, and of the raw-SQL ceiling: the same, so the ratio compares like with like. */
const DB_POOL = 24;

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  // A database of this run's own: two benches on one machine must not drop each other's.
  const name = `reservation_bench_${options.scale.name}_${process.pid}`;
  const databaseUrl = withDatabase(adminUrl, name);
  console.log(`bench: scale ${options.scale.name}, ${options.durationMs / 1000} s per scenario, ${options.connections} clients`);

  // The servers run the compiled build, as `npm start` does.
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  // Databases of earlier runs that did not get to drop theirs (their process is gone).
  const earlier = await admin.query<{ datname: string }>(`select datname from pg_database where datname like 'reservation\\_bench\\_%'`);
  for (const { datname } of earlier.rows) {
    const pid = /_(\d+)$/.exec(datname)?.[1];
    if (pid && !existsSync(`/proc/${pid}`)) await admin.query(`drop database if exists "${datname}" with (force)`);
  }
  await admin.query(`create database "${name}"`);
  execFileSync(process.execPath, ['--import', '@swc-node/register/esm-register', 'src/scripts/migrate.ts'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
    stdio: 'inherit',
  });
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  console.log('seeding');
  const loadSeconds = await seed(db, options.scale);
  console.log(`seeded in ${loadSeconds.toFixed(1)} s`);
  const catalog = await loadCatalog(db, options.scale);
  const today = (await db.query<{ d: string }>('select current_date::text as d')).rows[0].d;

  const orm = await openDatabase({ databaseUrl, dataDir: '', poolMax: 2 });
  // Thousands of requests a second from one address and a few dozen subs are far past any
  // per-caller budget: budgets this large keep the limiter running (its Redis round trip is
  // in the numbers) without refusing (README, "Limits and security").
  const unlimited = String(1_000_000_000);
  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    JWT_SECRET: SECRET,
    DATABASE_POOL_MAX: String(DB_POOL),
    RATE_LIMIT_READS: unlimited,
    RATE_LIMIT_BOOKINGS: unlimited,
    RATE_LIMIT_STAFF_WRITES: unlimited,
    ...(options.processes ? { SERVER_PROCESSES: options.processes } : {}),
  };
  const server = await startServer(env);
  const tokens = await Promise.all(
    Array.from({ length: options.connections }, (_, i) => signToken(SECRET, { sub: `bench-guest-${i}`, role: 'guest' })),
  );
  const rows: Row[] = [];
  const failures: string[] = [];
  const adminToken = await signToken(SECRET, { sub: 'bench-admin', role: 'admin' });
  // With SERVER_PROCESSES the primary deals connections to its workers in turn: ask each.
  const workers = options.processes === 'auto' ? availableParallelism() : Number(options.processes ?? 1);
  /** The invariants, and each server's search cache against the database; answers the first server's cache counts. */
  const audit = async (scenario: string, servers = [server]) => {
    const problems = await invariantViolations(orm.em.fork(), { staleBefore: new Date(Date.now() - 15_000) });
    let stats: StayCacheReport['stats'] | undefined;
    for (const each of servers) {
      for (let i = 0; i < workers; i++) {
        const response = await fetch(`${each.origin}/internal/stay-cache`, {
          headers: { authorization: `Bearer ${adminToken}`, connection: 'close' },
        });
        if (response.status !== 200) {
          problems.push(`the search cache audit answered HTTP ${response.status}`);
          continue;
        }
        const report = (await response.json()) as StayCacheReport;
        problems.push(...report.violations);
        stats ??= report.stats;
      }
    }
    if (problems.length) failures.push(...problems.slice(0, 20).map((p) => `${scenario}: ${p}`));
    console.log(`  invariants and search caches after ${scenario}: ${problems.length ? `${problems.length} VIOLATED` : 'hold'}`);
    return stats;
  };

  const nights = options.scale.nights;
  const spreadStay = (length: number): Stay => {
    const [hotelId, roomTypeId] = catalog.roomTypes[random(catalog.roomTypes.length)];
    const start = 1 + random(nights - length);
    return { hotelId, roomTypeId, checkIn: addDays(today, start), checkOut: addDays(today, start + length), nights: length };
  };
  const hotStay: Stay = { ...catalog.hot, checkIn: addDays(today, 10), checkOut: addDays(today, 13), nights: 3 };
  const reserveRequest = (stay: Stay, client: number) => ({
    path: '/graphql',
    headers: { authorization: `Bearer ${tokens[client]}` },
    body: JSON.stringify({
      query: RESERVE,
      variables: {
        input: {
          idempotencyKey: randomUUID(),
          roomTypeId: stay.roomTypeId,
          checkIn: stay.checkIn,
          checkOut: stay.checkOut,
          rooms: 1,
          guest: { name: 'Bench Guest', email: 'guest@example.com' },
          paymentToken: 'tok_ok',
        },
      },
    }),
  });
  const load = (next: (client: number) => { path: string; body: string; headers?: Record<string, string> }) =>
    measure([server.pid], () =>
      drive({ origin: server.origin, connections: options.connections, durationMs: options.durationMs, next, classify: classifyGraphQL }),
    );

  const bare = await bareHttpServer();
  const httpCeiling = await drive({
    origin: bare.origin,
    connections: options.connections,
    durationMs: Math.min(options.durationMs, 10_000),
    next: () => ({ path: '/graphql', body: '{"query":"{ ok }"}' }),
    classify: (status) => (status === 200 ? 'ok' : `http ${status}`),
  });
  await bare.close();
  console.log(`ceiling bare node:http: ${httpCeiling.throughput.toFixed(0)} req/s`);

  if (options.scenarios.includes('reserve-spread')) {
    console.log('reserve-spread');
    const run = await load((client) => reserveRequest(spreadStay(3), client));
    await audit('reserve-spread');
    const raw = await rawReserve(databaseUrl, DB_POOL, options.connections, options.durationMs, () => spreadStay(3));
    await audit('raw reserve-spread');
    rows.push({ scenario: 'reserve-spread', result: run.result, peakRssMb: run.peakRssMb, cpuPercent: run.cpuPercent, ceiling: { name: 'raw SQL', result: raw } });
  }
  if (options.scenarios.includes('reserve-hot')) {
    console.log('reserve-hot');
    const run = await load((client) => reserveRequest(hotStay, client));
    await audit('reserve-hot');
    const raw = await rawReserve(databaseUrl, DB_POOL, options.connections, options.durationMs, () => hotStay);
    await audit('raw reserve-hot');
    rows.push({ scenario: 'reserve-hot', result: run.result, peakRssMb: run.peakRssMb, cpuPercent: run.cpuPercent, ceiling: { name: 'raw SQL', result: raw } });
  }
  if (options.scenarios.includes('search')) {
    console.log('search');
    const searchVariables = () => {
      const stay = spreadStay(7);
      return { h: stay.hotelId, in: stay.checkIn, out: stay.checkOut };
    };
    const searchBody = () => JSON.stringify({ query: SEARCH, variables: searchVariables() });
    const cacheBefore = await audit('before search');
    const run = await load(() => ({ path: '/graphql', body: searchBody() }));
    const cacheAfter = await audit('search');
    const hits = (cacheAfter?.hits ?? 0) - (cacheBefore?.hits ?? 0);
    const searched = hits + (cacheAfter?.misses ?? 0) - (cacheBefore?.misses ?? 0);
    // The same read over bare node:http and pg: first the same answers on a sample, then the same load.
    const bareSearch = await bareSearchServer(databaseUrl, DB_POOL);
    const ask = async (origin: string, body: string) =>
      (await fetch(`${origin}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).text();
    let differ = 0;
    for (let i = 0; i < 100; i++) {
      const body = searchBody();
      const [ours, bare] = await Promise.all([ask(server.origin, body), ask(bareSearch.origin, body)]);
      if (JSON.stringify(JSON.parse(ours)) !== JSON.stringify(JSON.parse(bare))) differ++;
    }
    if (differ > 0) failures.push(`search: ${differ} of 100 answers differ from the bare-pg ceiling's`);
    const ceiling = await drive({
      origin: bareSearch.origin,
      connections: options.connections,
      durationMs: options.durationMs,
      next: () => ({ path: '/graphql', body: searchBody() }),
      classify: classifyGraphQL,
    });
    await bareSearch.close();
    // The same read through PostGraphile over a SQL function computing the same offers
    // (bench/postgraphile: its own install, made on first use, and its own process): the
    // same check on a sample, then the same load with as many connections.
    let graphile: { result: LoadResult; peakRssMb: number; cpuPercent: number; differ: number; version: string } | undefined;
    try {
      installPostgraphile();
      await installSearchFunction(databaseUrl);
      const postgraphile = await startPostgraphile(databaseUrl, DB_POOL);
      try {
        let graphileDiffer = 0;
        for (let i = 0; i < 100; i++) {
          const variables = searchVariables();
          const [ours, theirs] = await Promise.all([
            ask(server.origin, JSON.stringify({ query: SEARCH, variables })),
            ask(postgraphile.origin, postgraphileSearchBody(variables)),
          ]);
          if (normalizeServerSearch(ours) !== normalizePostgraphileSearch(theirs)) graphileDiffer++;
        }
        if (graphileDiffer > 0) failures.push(`search: ${graphileDiffer} of 100 answers differ from the PostGraphile ceiling's`);
        const measured = await measure([postgraphile.pid], () =>
          drive({
            origin: postgraphile.origin,
            connections: options.connections,
            durationMs: options.durationMs,
            next: () => ({ path: new URL(postgraphile.url).pathname, body: postgraphileSearchBody(searchVariables()) }),
            classify: classifyGraphQL,
          }),
        );
        graphile = { ...measured, differ: graphileDiffer, version: postgraphileVersion() };
      } finally {
        await postgraphile.stop();
      }
    } catch (error) {
      console.error(error);
      failures.push(`search: the PostGraphile ceiling failed: ${(error as Error).message}`);
    }
    rows.push({
      scenario: 'search',
      result: run.result,
      peakRssMb: run.peakRssMb,
      cpuPercent: run.cpuPercent,
      ceiling: { name: 'bare node:http + pg', result: ceiling },
      notes: [
        `search: the server's cache of nights answered ${hits} of ${searched} searches (${searched ? ((100 * hits) / searched).toFixed(0) : 0}%) and held ${cacheAfter?.nights ?? 0} room-type nights of ${cacheAfter?.hotels ?? 0} hotels after the run${workers > 1 ? ' (one worker of several)' : ''}`,
        `search: the bare node:http + pg ceiling answered 100 sampled stays as the server did (${differ} differed); it ran at p50 ${ceiling.latencyMs.p50.toFixed(1)} ms, p99 ${ceiling.latencyMs.p99.toFixed(1)} ms; the empty bare node:http endpoint at ${httpCeiling.throughput.toFixed(0)} req/s`,
        ...(graphile
          ? [
              `search: PostGraphile ${graphile.version} (its own process over bench/postgraphile/search.sql's function, ${DB_POOL} connections) answered 100 sampled stays as the server did (${graphile.differ} differed); it ran at ${graphile.result.throughput.toFixed(0)} req/s, p50 ${graphile.result.latencyMs.p50.toFixed(1)} ms, p99 ${graphile.result.latencyMs.p99.toFixed(1)} ms, CPU ${graphile.cpuPercent.toFixed(0)}% of a core, peak RSS ${graphile.peakRssMb.toFixed(0)} MB; the server is at ${((100 * run.result.throughput) / graphile.result.throughput).toFixed(0)}% of it (row "search (PostGraphile)": its ratio is to the bare ceiling)`,
            ]
          : []),
      ],
    });
    if (graphile) {
      rows.push({
        scenario: 'search (PostGraphile)',
        result: graphile.result,
        peakRssMb: graphile.peakRssMb,
        cpuPercent: graphile.cpuPercent,
        ceiling: { name: 'bare node:http + pg', result: ceiling },
      });
    }
  }
  let fan: { result: FanoutResult; peakRssMb: number; cpuPercent: number } | undefined;
  let fanCeiling: typeof fan;
  if (options.scenarios.includes('fanout')) {
    console.log(`fanout: ${options.subscribers} subscribers over two servers`);
    const second = await startServer(env);
    // The hot room type never sells out, so every booking is one event.
    const { hotelId, roomTypeId } = catalog.hot;
    let n = 0;
    const book = async () => {
      const start = 1 + (n++ % (nights - 1));
      const stay = { hotelId, roomTypeId, checkIn: addDays(today, start), checkOut: addDays(today, start + 1), nights: 1 };
      const request = reserveRequest(stay, 0);
      const response = await fetch(`${server.origin}${request.path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...request.headers },
        body: request.body,
      });
      const outcome = classifyGraphQL(response.status, await response.text());
      if (outcome !== 'ok') throw new Error(`fanout booking failed: ${outcome}`);
    };
    fan = await measure([server.pid, second.pid], () => fanout([server, second], hotelId, options.subscribers, 20, book));
    await audit('fanout', [server, second]);
    await second.stop();
    const bare = await fanoutCeiling(options.subscribers, 20);
    try {
      fanCeiling = await measure(
        bare.servers.map((s) => s.pid),
        bare.run,
      );
    } finally {
      await bare.stop();
    }
  }
  rows.push(...(await seatScenarios({ options, server, orm, redisUrl, secret: SECRET, failures })));
  rows.push(...(await offeringScenarios({ options, server, orm, redisUrl, secret: SECRET, failures })));

  await server.stop();
  await orm.close();
  await db.end();
  await admin.query(`drop database if exists "${name}" with (force)`);
  await admin.end();

  const report = render(options, loadSeconds, rows, { fan, ceiling: fanCeiling }, httpCeiling);
  console.log('\n' + report);
  if (options.record) record(report);
  if (failures.length) {
    console.error(`\nINVARIANTS VIOLATED:\n${failures.join('\n')}`);
    process.exit(1);
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

const f = (n: number, digits = 0) => n.toFixed(digits);

type Fanout = { result: FanoutResult; peakRssMb: number; cpuPercent: number } | undefined;

function render(options: BenchOptions, loadSeconds: number, rows: Row[], fanouts: { fan: Fanout; ceiling: Fanout }, http: LoadResult): string {
  const { fan, ceiling: fanCeiling } = fanouts;
  const s = options.scale;
  const lines = [
    `scale ${s.name}: ${s.hotels} hotels x ${s.roomTypesPerHotel} room types x ${s.roomsPerRoomType} rooms (${s.hotels * s.roomTypesPerHotel * s.roomsPerRoomType} rooms), ${s.nights} nights; seeded in ${f(loadSeconds, 1)} s`,
    `${options.connections} clients, ${options.durationMs / 1000} s per scenario; bare node:http ceiling ${f(http.throughput)} req/s`,
    '',
    '| scenario | req/s | p50 ms | p95 ms | p99 ms | outcomes | server RSS MB | server CPU % | ceiling | ceiling req/s | ratio |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const row of rows) {
    const r = row.result;
    const outcomes = Object.entries(r.outcomes).map(([k, v]) => `${k} ${v}`).join(', ');
    const ceiling = row.ceiling;
    lines.push(
      `| ${row.scenario} | ${f(r.throughput)} | ${f(r.latencyMs.p50, 1)} | ${f(r.latencyMs.p95, 1)} | ${f(r.latencyMs.p99, 1)} | ${outcomes} | ${f(row.peakRssMb ?? 0)} | ${f(row.cpuPercent ?? 0)} | ${ceiling?.name ?? ''} | ${ceiling ? f(ceiling.result.throughput) : ''} | ${ceiling ? f((100 * r.throughput) / ceiling.result.throughput) + '%' : ''} |`,
    );
  }
  for (const row of rows.filter((r) => r.ceiling?.name === 'raw SQL')) {
    const c = row.ceiling!.result;
    lines.push(`\nraw SQL ${row.scenario}: p50 ${f(c.latencyMs.p50, 1)} ms, p99 ${f(c.latencyMs.p99, 1)} ms, outcomes ${JSON.stringify(c.outcomes)}`);
  }
  for (const note of rows.flatMap((r) => r.notes ?? [])) lines.push(`\n${note}`);
  if (fan) {
    const r = fan.result;
    lines.push(
      `\nfanout: ${r.subscribers} subscribers on two servers, ${r.events} reservations, ${r.deliveries} deliveries, ${r.missing} missing, ${r.duplicates} duplicates; commit-to-delivery p50 ${f(r.latencyMs.p50)} ms, p99 ${f(r.latencyMs.p99)} ms, max ${f(r.latencyMs.max)} ms; peak RSS ${f(fan.peakRssMb)} MB (largest server), CPU ${f(fan.cpuPercent)} % (both servers)`,
    );
  }
  if (fan && fanCeiling) {
    const c = fanCeiling.result;
    lines.push(
      `\nfanout ceiling: the same clients on two bare WebSocket servers (bench/fanout-ceiling.mjs: no GraphQL, database or Redis; latency from the send), ${c.deliveries} deliveries, ${c.missing} missing, ${c.duplicates} duplicates; p50 ${f(c.latencyMs.p50)} ms, p99 ${f(c.latencyMs.p99)} ms, max ${f(c.latencyMs.max)} ms; CPU ${f(fanCeiling.cpuPercent)} % (both); the server's p99 is ${(fan.result.latencyMs.p99 / c.latencyMs.p99).toFixed(1)} times the ceiling's`,
    );
  }
  return lines.join('\n');
}

/** Puts the report between the markers of bench/RESULTS.md, keeping the history and notes around it. */
function record(report: string): void {
  const file = path.join(root, 'bench/RESULTS.md');
  const [start, end] = ['<!-- latest-run -->', '<!-- /latest-run -->'];
  const current = existsSync(file) ? readFileSync(file, 'utf8') : `# Benchmark results\n\n${start}\n${end}\n`;
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  if (from < 0 || to < from) throw new Error(`bench/RESULTS.md has no ${start} ... ${end} markers`);
  const stamp = `Recorded ${new Date().toISOString().slice(0, 10)} by \`npm run bench -- --record\`.`;
  writeFileSync(file, `${current.slice(0, from + start.length)}\n${stamp}\n\n${report}\n${current.slice(to)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
