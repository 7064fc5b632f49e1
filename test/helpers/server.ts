import { randomUUID } from 'node:crypto';
import 'reflect-metadata';
import { Writable } from 'node:stream';
import { startApp, type App, type AppOptions } from '../../src/app/app.js';
import { signToken, type TokenClaims } from '../../src/infra/auth.js';
import { loadConfig, type Config } from '../../src/infra/config.js';
import { migrate, openDatabase, type Orm } from '../../src/infra/database.js';
import { createLogger } from '../../src/infra/logger.js';
import { GraphQLClient } from './graphql.js';

export type LogRecord = Record<string, unknown> & { level: string; msg: string };

export interface TestServer {
  app: App;
  orm: Orm;
  config: Config;
  client: GraphQLClient;
  /** Everything the server logged, parsed. */
  logs: LogRecord[];
  token(claims: TokenClaims): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Rate budgets are the defaults, counted under a prefix of this test process's own: test
 * files and test runs of several people share one Redis, and fixed subs ('admin-outage')
 * would otherwise spend each other's budgets. Servers of one file still share theirs.
 */
const RATE_LIMIT_KEY_PREFIX = `rate-limit-test-${randomUUID()}`;

/** The configuration tests run with: the environment's DATABASE_URL/REDIS_URL, or embedded defaults. */
export function testConfig(overrides: Partial<Config> = {}): Config {
  const base = loadConfig({ ...process.env, NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1' });
  const rateLimits = { ...base.rateLimits, keyPrefix: RATE_LIMIT_KEY_PREFIX };
  return { ...base, dataDir: 'memory://', logLevel: 'info', rateLimits, ...overrides };
}

/** Opens the test database: the shared PostgreSQL (migrated by global-setup) or a fresh in-memory PGlite. */
export async function openTestDatabase(config: Config, poolMax = 40): Promise<Orm> {
  const orm = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax });
  await migrate(orm);
  return orm;
}

/**
 * Starts the real server on a free port, in process, on the test database or the ORM given.
 * `booking` reaches into the saga: tighter settings, another gateway, a crash after a step;
 * `venues` gives it a hold engine of the test's own.
 */
export async function startTestServer(
  overrides: Partial<Config> = {},
  given: { orm?: Orm; booking?: AppOptions['booking']; venues?: AppOptions['venues'] } = {},
): Promise<TestServer> {
  const config = testConfig(overrides);
  const orm = given.orm ?? (await openTestDatabase(config));
  const logs: LogRecord[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line));
      done();
    },
  });
  const logger = createLogger(config.logLevel, sink);
  const app = await startApp({ config, logger, orm, booking: given.booking, venues: given.venues });
  const secret = config.auth.jwtSecret!;
  return {
    app,
    orm,
    config,
    logs,
    client: new GraphQLClient(app.url),
    token: (claims) => signToken(secret, claims),
    stop: async () => {
      await app.stop();
      await orm.close();
    },
  };
}

/**
 * A database of its own, migrated: a fresh database in the same PostgreSQL cluster
 * (DATABASE_URL), or a fresh in-memory PGlite. For tests whose counts must not see
 * what other test files, running at the same time, do to the shared database.
 * `drop()` removes it; close its ORM first.
 */
export async function isolatedDatabase(
  admin: Orm,
  /** PostgreSQL settings for every session on it (`alter database ... set`), e.g. { lock_timeout: '100ms' }. */
  settings: Record<string, string> = {},
): Promise<{ orm: Orm; drop(): Promise<void> }> {
  const config = testConfig();
  if (!config.databaseUrl) return { orm: await openTestDatabase(config), drop: async () => undefined };
  const name = `rs_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  await admin.em.getConnection().execute(`create database "${name}"`);
  for (const [setting, value] of Object.entries(settings)) {
    await admin.em.getConnection().execute(`alter database "${name}" set ${setting} = '${value}'`);
  }
  const url = new URL(config.databaseUrl);
  url.pathname = `/${name}`;
  const orm = await openTestDatabase({ ...config, databaseUrl: url.toString() }, 10);
  return {
    orm,
    drop: async () => {
      await admin.em.getConnection().execute(`drop database if exists "${name}" with (force)`);
    },
  };
}

/**
 * Two server instances on a database of their own (every relay on a database must
 * publish where their subscribers listen); without REDIS_URL, one instance as both.
 * `stop()` stops them and drops the database.
 */
export async function instancePair(booking: Config['booking']) {
  const main = await openTestDatabase(testConfig(), 2);
  const database = await isolatedDatabase(main);
  const a = await startTestServer({ booking }, { orm: database.orm });
  const b = a.config.redisUrl ? await startTestServer({ booking }, { orm: database.orm }) : a;
  return {
    a,
    b,
    database,
    stop: async () => {
      for (const server of new Set([a, b])) await server.app.stop();
      await database.orm.close();
      await database.drop();
      await main.close();
    },
  };
}
