import path from 'node:path';

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
}

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
  return {
    databaseUrl: nonEmpty(env.DATABASE_URL),
    databasePoolMax: positiveInt(env, 'DATABASE_POOL_MAX', 20),
    dataDir: nonEmpty(env.DATA_DIR) ?? path.resolve(process.cwd(), 'data'),
    redisUrl: nonEmpty(env.REDIS_URL),
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
  };
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
