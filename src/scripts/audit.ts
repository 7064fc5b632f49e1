import 'reflect-metadata';
import { ConfigError, loadConfig } from '../infra/config.js';
import { databaseOptions, openDatabase } from '../infra/database.js';
import { auditInvariants } from '../services/booking/audit.js';
import { createRedis, pingRedis } from '../infra/redis.js';
import { createLogger } from '../infra/logger.js';
import { RedisHoldEngine } from '../infra/venues/redis-hold-engine.js';
import { MemoryHoldEngine } from '../services/venues/holds/memory-hold-engine.js';
import { auditVenueInvariants } from '../services/venues/audit.js';

/**
 * `npm run audit`: checks the invariants of ARCHITECTURE.md on the database the server
 * uses (DATABASE_URL, or the embedded one), prints each with what breaks it, and exits
 * 1 if any is violated (0 if all hold, 2 if it could not run). Safe on a live system:
 * it only reads. Invariant 4 allows one sweep interval past a hold's deadline.
 * The venue invariants (6, 7, 9 of VENUES.md) follow; 7 compares the hold engine in
 * Redis (REDIS_URL) with PostgreSQL, and is empty without Redis (an embedded server's
 * holds live in its own process).
 */
async function main(): Promise<number> {
  const config = loadConfig();
  const orm = await openDatabase(databaseOptions(config));
  const redis = config.redisUrl ? createRedis(config.redisUrl, createLogger('warn')) : undefined;
  const engine = redis ? new RedisHoldEngine(redis) : new MemoryHoldEngine();
  try {
    if (redis && !(await pingRedis(redis, 5_000))) throw new Error(`Redis at REDIS_URL does not answer`);
    const graceMs = Math.max(config.booking.sweepIntervalMs, 1_000) + 5_000;
    const staleBefore = new Date(Date.now() - graceMs);
    const reports = [
      ...(await auditInvariants(orm.em.fork(), { staleBefore })),
      ...(await auditVenueInvariants(orm.em.fork(), engine, { staleBefore })),
    ];
    for (const { invariant, violations } of reports) {
      console.log(`${violations.length === 0 ? 'ok      ' : 'VIOLATED'} ${invariant}`);
      for (const violation of violations.slice(0, 50)) console.log(`           ${violation}`);
      if (violations.length > 50) console.log(`           ... and ${violations.length - 50} more`);
    }
    const broken = reports.filter((report) => report.violations.length > 0).length;
    console.log(broken === 0 ? 'all invariants hold' : `${broken} invariant(s) violated`);
    return broken === 0 ? 0 : 1;
  } finally {
    await engine.close();
    redis?.disconnect();
    await orm.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`audit could not run: ${error instanceof ConfigError ? error.message : String(error)}`);
    process.exit(2);
  },
);
