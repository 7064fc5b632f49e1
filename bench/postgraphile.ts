import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { formatAmount } from '../src/services/common/money.js';
import { announcedUrl, stopper } from './processes.js';

/**
 * The PostGraphile ceiling of `search`: the same read through PostGraphile 4 over a SQL
 * function (postgraphile/search.sql) that computes exactly the server's offers. It has
 * an install of its own (postgraphile/package.json and its lock: PostGraphile 4 needs
 * graphql 15, the server runs graphql 16, and the two cannot share a process or a
 * node_modules) and runs in a process of its own (postgraphile/server.mjs).
 */
const dir = path.resolve(import.meta.dirname, 'postgraphile');

/** `searchAvailability`'s variables as the bench sends them. */
export interface SearchVariables {
  h: string;
  in: string;
  out: string;
}

/** PostGraphile's own query for the same read: search.sql's function, as a plain list (simpleCollections 'only'). */
export const POSTGRAPHILE_SEARCH = `query($h: UUID!, $in: Date!, $out: Date!) { searchList(hotelId: $h, checkIn: $in, checkOut: $out) { available totalMinor currency } }`;

/** The body of PostGraphile's request for these variables. */
export function postgraphileSearchBody(variables: SearchVariables): string {
  return JSON.stringify({ query: POSTGRAPHILE_SEARCH, variables });
}

/** Installs PostGraphile into bench/postgraphile from its lock on first use (a fresh clone has no node_modules there). */
export function installPostgraphile(): void {
  if (existsSync(path.join(dir, 'node_modules', 'postgraphile', 'package.json'))) return;
  console.log('  installing PostGraphile for the search ceiling (npm ci in bench/postgraphile)');
  // Under `npm run bench`, the npm that runs us; otherwise the one on PATH.
  const npm = process.env.npm_execpath;
  const [command, args] = npm && npm.endsWith('.js') ? [process.execPath, [npm]] : ['npm', []];
  execFileSync(command, [...args, 'ci', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'inherit' });
}

/** The installed PostGraphile's version, for the report. */
export function postgraphileVersion(): string {
  return (JSON.parse(readFileSync(path.join(dir, 'node_modules', 'postgraphile', 'package.json'), 'utf8')) as { version: string }).version;
}

/** Creates (or replaces) search.sql's schema and function in the bench database. */
export async function installSearchFunction(databaseUrl: string): Promise<void> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query(readFileSync(path.join(dir, 'search.sql'), 'utf8'));
  } finally {
    await db.end();
  }
}

export interface PostgraphileProcess {
  url: string;
  origin: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts postgraphile/server.mjs with a pool of `poolMax` connections; resolves once it listens. */
export async function startPostgraphile(databaseUrl: string, poolMax: number): Promise<PostgraphileProcess> {
  const child = spawn(process.execPath, [path.join(dir, 'server.mjs')], {
    cwd: dir,
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: '0', POOL_MAX: String(poolMax) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = stopper(child);
  let timer: NodeJS.Timeout | undefined;
  try {
    const url = await Promise.race([
      announcedUrl(child, 'postgraphile'),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('postgraphile did not listen within 60 s')), 60_000);
      }),
    ]);
    return { url, origin: new URL(url).origin, pid: child.pid!, stop };
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What both answers are compared as: the offers in room type order, or which side failed
 * and why (so two failures never compare equal).
 */
type NormalizedSearch = { offers: { available: number; amount: string }[] } | { error: string; from: string };

/** The server's answer to `searchAvailability { available total { amount } }`, normalized. */
export function normalizeServerSearch(body: string): string {
  return normalized('server', body, (data) => {
    const offers = (data as { searchAvailability?: { available: number; total: { amount: string } }[] | null }).searchAvailability;
    return offers?.map((offer) => ({ available: offer.available, amount: offer.total.amount }));
  });
}

/** PostGraphile's answer to POSTGRAPHILE_SEARCH, normalized: the amount formatted as the server formats it. */
export function normalizePostgraphileSearch(body: string): string {
  return normalized('postgraphile', body, (data) => {
    const offers = (data as { searchList?: { available: number; totalMinor: string; currency: string }[] | null }).searchList;
    return offers?.map((offer) => ({ available: offer.available, amount: formatAmount(Number(offer.totalMinor), offer.currency) }));
  });
}

function normalized(from: string, body: string, offersOf: (data: unknown) => { available: number; amount: string }[] | undefined): string {
  let result: NormalizedSearch;
  try {
    const json = JSON.parse(body) as { data?: unknown; errors?: { message?: string }[] };
    const offers = json.errors?.length || !json.data ? undefined : offersOf(json.data);
    result = offers ? { offers } : { error: json.errors?.[0]?.message ?? 'no offers in the answer', from };
  } catch (error) {
    result = { error: `not JSON: ${(error as Error).message}`, from };
  }
  return JSON.stringify(result);
}
