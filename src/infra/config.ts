import { availableParallelism } from 'node:os';
import path from 'node:path';
import { DEFAULT_STAY_CACHE, type StayCacheOptions } from '../services/stays/stay-cache.js';
import { isAddressOrRange } from './limits/client-address.js';

/**
 * The one place that reads the environment. Everything else receives a Config.
 */
export interface Config {
  /** postgres://... ; undefined means embedded PGlite in `dataDir`. */
  databaseUrl?: string;
  /** Connections in the PostgreSQL pool. */
  databasePoolMax: number;
  /** Directory of the embedded PGlite cluster, or `memory://` for a throwaway one. */
  dataDir: string;
  redisUrl?: string;
  port: number;
  /** Interface to listen on; all interfaces by default. */
  host?: string;
  logLevel: string;
  production: boolean;
  auth: AuthConfig;
  booking: BookingConfig;
  /** How often the outbox relay looks for committed events. */
  relayIntervalMs: number;
  /** How often expired seat holds of performances nobody touches are released; 0 turns the reaper off. */
  holdReapIntervalMs: number;
  /** Origins browsers may call the API from (CORS, and the WebSocket's Origin check): `*` or a list. */
  corsOrigins: CorsOrigins;
  /** Serve the GraphQL IDE on GET /graphql to browsers. */
  graphqlIde: boolean;
  /** What one operation may ask for, checked before it runs (HTTP and WebSocket alike). */
  queryLimits: QueryLimitsConfig;
  /** Operations per caller and window, by kind. */
  rateLimits: RateLimitsConfig;
  /** Peers (addresses or CIDR ranges) whose X-Forwarded-For names the client; empty: none is trusted. */
  trustedProxies: string[];
  /** Whether __schema / __type queries are answered. */
  introspection: boolean;
  /** The search's cache of nights (services/stays/stay-cache.ts): its size (0 turns it off) and how long a block lives. */
  stayCache: StayCacheOptions;
  /**
   * Server processes on this machine (node:cluster): 1 is one plain process; more fork
   * that many workers sharing the port (only with DATABASE_URL and REDIS_URL).
   */
  serverProcesses: number;
}

export interface QueryLimitsConfig {
  /** Deepest field nesting, fragments flattened. */
  maxDepth: number;
  /** Aliases in the operation, fragments expanded. */
  maxAliases: number;
  /** Directives in the operation, fragments expanded. */
  maxDirectives: number;
  /** Lexical tokens of the document (the parser stops at the limit). */
  maxTokens: number;
  /** Estimated cost: every field 1, times the length of each list it is in (infra/limits/cost.ts). */
  maxCost: number;
  /** From this estimated cost on, an operation is heavy: it waits for one of `heavyConcurrency` places (infra/limits/heavy-gate.ts). */
  heavyCost: number;
  /** Heavy operations at once, per server process. */
  heavyConcurrency: number;
  /** Heavy operations waiting for a place, per server process; beyond them, BUSY. */
  heavyWaiting: number;
}

export interface RateLimitsConfig {
  /** Length of one window. */
  windowSeconds: number;
  /** Queries and subscribe messages per window; 0: unlimited. */
  reads: number;
  /** Holds and bookings (reserve, holds, checkout, cancellations) per window; 0: unlimited. */
  bookings: number;
  /** Staff writes (every other mutation: catalog, inventory, rates, charts, performances) per window; 0: unlimited. */
  staffWrites: number;
  /** Prefix of the counters' keys in Redis (deployments sharing a Redis keep apart by it). */
  keyPrefix: string;
}

/** `*`: any origin (tokens travel in the Authorization header, never in cookies); else exact origins. */
export type CorsOrigins = '*' | readonly string[];

export interface BookingConfig {
  holdTtlMs: number;
  paymentTimeoutMs: number;
  /** 0 turns the in-process sweeper off (tests drive it by hand). */
  sweepIntervalMs: number;
}

export interface AuthConfig {
  /** HS256 secret; undefined only when JWKS is used. */
  jwtSecret?: string;
  jwksUrl?: string;
  /** True when the development default secret is in use (never in production). */
  usingDevSecret: boolean;
}

/** Only outside production, so a laptop run needs no set-up; the server warns when it is used. */
export const DEV_JWT_SECRET = 'dev-only-insecure-secret-change-me';

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const production = env.NODE_ENV === 'production';
  const port = env.PORT ? Number(env.PORT) : 4000;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`PORT must be an integer 0-65535, got "${env.PORT}"`);
  }
  const jwksUrl = nonEmpty(env.JWKS_URL);
  let jwtSecret = nonEmpty(env.JWT_SECRET);
  let usingDevSecret = false;
  if (!jwtSecret && !jwksUrl) {
    if (production) {
      throw new ConfigError('JWT_SECRET or JWKS_URL must be set when NODE_ENV=production');
    }
    jwtSecret = DEV_JWT_SECRET;
    usingDevSecret = true;
  }
  const databaseUrl = nonEmpty(env.DATABASE_URL);
  const redisUrl = nonEmpty(env.REDIS_URL);
  return {
    databaseUrl,
    databasePoolMax: positiveInt(env, 'DATABASE_POOL_MAX', 20),
    dataDir: nonEmpty(env.DATA_DIR) ?? path.resolve(process.cwd(), 'data'),
    redisUrl,
    port,
    host: nonEmpty(env.HOST),
    logLevel: nonEmpty(env.LOG_LEVEL) ?? 'info',
    production,
    auth: { jwtSecret, jwksUrl, usingDevSecret },
    booking: {
      holdTtlMs: positiveInt(env, 'HOLD_TTL_SECONDS', 900) * 1000,
      paymentTimeoutMs: positiveInt(env, 'PAYMENT_TIMEOUT_MS', 10_000),
      sweepIntervalMs: positiveInt(env, 'SWEEP_INTERVAL_MS', 5_000),
    },
    relayIntervalMs: positiveInt(env, 'RELAY_INTERVAL_MS', 50),
    holdReapIntervalMs: positiveInt(env, 'HOLD_REAP_INTERVAL_MS', 1_000),
    corsOrigins: corsOrigins(env.CORS_ORIGINS),
    graphqlIde: flag(env, 'GRAPHQL_IDE', !production),
    queryLimits: {
      maxDepth: atLeastOne(env, 'QUERY_MAX_DEPTH', 15),
      maxAliases: atLeastOne(env, 'QUERY_MAX_ALIASES', 30),
      maxDirectives: atLeastOne(env, 'QUERY_MAX_DIRECTIVES', 50),
      maxTokens: tokenLimit(env),
      maxCost: atLeastOne(env, 'QUERY_MAX_COST', 2_000_000),
      heavyCost: atLeastOne(env, 'HEAVY_OPERATION_COST', 100_000),
      heavyConcurrency: atLeastOne(env, 'HEAVY_OPERATIONS', 1),
      heavyWaiting: atLeastOne(env, 'HEAVY_OPERATIONS_WAITING', 10),
    },
    rateLimits: {
      windowSeconds: atLeastOne(env, 'RATE_LIMIT_WINDOW_SECONDS', 60),
      reads: positiveInt(env, 'RATE_LIMIT_READS', 1_200),
      bookings: positiveInt(env, 'RATE_LIMIT_BOOKINGS', 120),
      staffWrites: positiveInt(env, 'RATE_LIMIT_STAFF_WRITES', 600),
      keyPrefix: nonEmpty(env.RATE_LIMIT_KEY_PREFIX) ?? 'rate-limit',
    },
    trustedProxies: trustedProxies(env),
    introspection: flag(env, 'INTROSPECTION', !production),
    stayCache: {
      maxNights: positiveInt(env, 'STAY_CACHE_NIGHTS', DEFAULT_STAY_CACHE.maxNights),
      ttlMs: atLeastOne(env, 'STAY_CACHE_TTL_SECONDS', DEFAULT_STAY_CACHE.ttlMs / 1000) * 1000,
    },
    serverProcesses: serverProcesses(env, databaseUrl, redisUrl),
  };
}

/** A typo must not fork thousands of processes. */
export const MAX_SERVER_PROCESSES = 256;

/**
 * SERVER_PROCESSES: unset or 1 for one process, `auto` for one per core the process may use
 * (os.availableParallelism()), or a number. Several processes need what they can share:
 * PostgreSQL (the embedded PGlite belongs to one process) and Redis (without it, live
 * events, seat holds and rate budgets stay inside each process).
 */
function serverProcesses(env: Env, databaseUrl: string | undefined, redisUrl: string | undefined): number {
  const raw = nonEmpty(env.SERVER_PROCESSES)?.trim().toLowerCase();
  if (raw === undefined) return 1;
  const value = raw === 'auto' ? availableParallelism() : Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > MAX_SERVER_PROCESSES) {
    throw new ConfigError(
      `SERVER_PROCESSES must be auto or a whole number from 1 to ${MAX_SERVER_PROCESSES}, got "${env.SERVER_PROCESSES}"`,
    );
  }
  if (value > 1 && !databaseUrl) {
    throw new ConfigError(
      `SERVER_PROCESSES=${env.SERVER_PROCESSES} (${value} processes) needs DATABASE_URL: the embedded database (PGlite) belongs to one process. Set DATABASE_URL to a PostgreSQL server, or run one process (SERVER_PROCESSES=1)`,
    );
  }
  if (value > 1 && !redisUrl) {
    throw new ConfigError(
      `SERVER_PROCESSES=${env.SERVER_PROCESSES} (${value} processes) needs REDIS_URL: without Redis, live events, seat holds and rate budgets would stay inside each process. Set REDIS_URL, or run one process (SERVER_PROCESSES=1)`,
    );
  }
  return value;
}

/**
 * The parser recurses once per nesting level, and going down a level of a list literal
 * costs one token (`[`), so the token limit is also how deep the parser's stack can go:
 * lists nested 1,875 deep overflow Node's default stack in this server (measured over
 * HTTP, test/hostile). The cap keeps a margin below that.
 */
export const MAX_QUERY_TOKENS = 1_200;

function tokenLimit(env: Env): number {
  const value = atLeastOne(env, 'QUERY_MAX_TOKENS', 1_000);
  if (value > MAX_QUERY_TOKENS) {
    throw new ConfigError(
      `QUERY_MAX_TOKENS must be at most ${MAX_QUERY_TOKENS} (deeper documents can overflow the parser's stack), got "${env.QUERY_MAX_TOKENS}"`,
    );
  }
  return value;
}

function trustedProxies(env: Env): string[] {
  const entries = (nonEmpty(env.TRUSTED_PROXY) ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const bad = entries.find((entry) => !isAddressOrRange(entry));
  if (bad !== undefined) throw new ConfigError(`TRUSTED_PROXY must list IP addresses or CIDR ranges, got "${bad}"`);
  return entries;
}

function atLeastOne(env: Env, name: string, fallback: number): number {
  const value = positiveInt(env, name, fallback);
  if (value < 1) throw new ConfigError(`${name} must be at least 1, got "${env[name]}"`);
  return value;
}

/** CORS_ORIGINS: unset or `*` for any origin, else a comma list of origins (`https://app.example.com`). */
function corsOrigins(raw: string | undefined): CorsOrigins {
  const value = nonEmpty(raw)?.trim();
  if (value === undefined || value === '*') return '*';
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      let origin: string | undefined;
      try {
        origin = new URL(entry).origin;
      } catch {
        origin = undefined;
      }
      // An origin is scheme://host[:port] as browsers send it: no path, no default port, no `*` inside a list.
      if (!origin || origin === 'null' || origin !== entry.toLowerCase().replace(/\/$/, '')) {
        throw new ConfigError(`CORS_ORIGINS must be * or a comma list of origins like https://app.example.com, got "${entry}"`);
      }
      return origin;
    });
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = nonEmpty(env[name])?.trim().toLowerCase();
  if (raw === undefined) return fallback;
  if (['1', 'true', 'on', 'yes'].includes(raw)) return true;
  if (['0', 'false', 'off', 'no'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}

function positiveInt(env: Env, name: string, fallback: number): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new ConfigError(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
