import { mkdirSync } from 'node:fs';
import type { Options } from '@mikro-orm/core';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { Migrator } from '@mikro-orm/migrations';
import { PgliteDriver } from '@mikro-orm/pglite';
import { MikroORM, PostgreSqlDriver, type EntityManager, type PostgreSqlConnection } from '@mikro-orm/postgresql';
import type { Pool, PoolClient } from 'pg';
import { migrationsList } from '../../migrations/index.js';
import { entities } from '../entities/index.js';
import { usePreparedStatements } from '../services/common/sql.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';

export type { EntityManager };
export type Orm = MikroORM;

export interface DatabaseOptions {
  databaseUrl?: string;
  /** PGlite cluster directory, or memory:// */
  dataDir: string;
  /** Pool size for PostgreSQL. */
  poolMax?: number;
}

export function databaseOptions(config: Pick<Config, 'databaseUrl' | 'dataDir' | 'databasePoolMax'>): DatabaseOptions {
  return { databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: config.databasePoolMax };
}

/** The ORM options shared by the server, the tests and the MikroORM CLI config. */
export function ormOptions(db: DatabaseOptions, logger?: Logger): Options {
  const common: Partial<Options> = {
    entities,
    metadataProvider: ReflectMetadataProvider,
    extensions: [Migrator],
    migrations: {
      migrationsList,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      snapshotOnMigrate: false,
    },
    // The schema is owned by migrations: the ORM never creates or alters it by itself.
    ensureDatabase: false,
    // Stored functions too (the hold's `stays_fresh_pricing`): the entities do not declare
    // them, so the ORM's schema diff must not count them as extra.
    schemaGenerator: { ignoreRoutines: true },
    dataloader: true,
    // MikroORM 7 batches updates of versioned entities as a SELECT of the versions
    // followed by an UPDATE without them: two transactions can both pass the check.
    // One UPDATE per entity keeps `WHERE version = ?` in the statement that writes,
    // which is what makes optimistic locking safe under concurrency.
    useBatchUpdates: false,
    forceUtcTimezone: true,
    debug: logger?.isLevelEnabled('debug') ?? false,
    logger: (message) => logger?.debug({ component: 'orm' }, message),
  };
  if (db.databaseUrl) {
    return {
      ...common,
      driver: PostgreSqlDriver,
      clientUrl: db.databaseUrl,
      pool: { min: 0, max: db.poolMax ?? 20 },
      driverOptions: { onPoolCreated: (pool: Pool) => reclaimDeadClients(pool) },
    } as Options;
  }
  if (!db.dataDir.startsWith('memory:')) mkdirSync(db.dataDir, { recursive: true });
  return { ...common, driver: PgliteDriver, dbName: db.dataDir } as Options;
}

/**
 * Works around kysely#1990 (open): a transaction whose BEGIN, COMMIT or ROLLBACK fails
 * because its connection died (a database restart, a cut connection) never gives its
 * pooled client back. Such a client can never run a query again; left checked out, it
 * shrinks the pool for good (enough outages exhaust it) and makes pool.end() wait
 * forever. A client whose connection ended while checked out, and that nobody gave back
 * within `graceMs`, is given back with an error: the pool then discards it.
 */
export function reclaimDeadClients(pool: Pool, graceMs = 1_000): void {
  const checkedOut = new Set<PoolClient>();
  pool.on('acquire', (client) => checkedOut.add(client));
  pool.on('release', (_error, client) => checkedOut.delete(client));
  pool.on('remove', (client) => checkedOut.delete(client as PoolClient));
  pool.on('connect', (client) => {
    client.once('end', () => {
      setTimeout(() => {
        if (!checkedOut.delete(client)) return;
        const release = client.release.bind(client);
        // A holder that gives it back late must not be told it was released twice.
        client.release = () => undefined;
        release(new Error('connection ended while the client was checked out'));
      }, graceMs).unref();
    });
  });
}

export async function openDatabase(db: DatabaseOptions, logger?: Logger): Promise<Orm> {
  // PGlite's ORM class differs in type only; both speak the PostgreSQL platform.
  const orm = (await MikroORM.init(ormOptions(db, logger) as never)) as Orm;
  if (db.databaseUrl) {
    // The stores' statements outside transactions run as prepared statements on the ORM's own pool.
    const connection = orm.em.getConnection('write');
    const pool = (await (connection as PostgreSqlConnection).getNativeClient()) as Pool;
    usePreparedStatements(connection, (name, { text, values }) => pool.query(name ? { name, text, values } : { text, values }));
  }
  return orm;
}

/** Applies pending migrations; returns the names applied. */
export async function migrate(orm: Orm): Promise<string[]> {
  const applied = await orm.migrator.up();
  return applied.map((m) => m.name);
}
