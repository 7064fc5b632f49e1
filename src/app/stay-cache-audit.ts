import { setTimeout as delay } from 'node:timers/promises';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Redis } from 'ioredis';
import type { RedisEventSource } from '../infra/live/redis-event-source.js';
import { EVENT_STREAM } from '../infra/live/sinks.js';
import { countUnpublished } from '../services/live/outbox.store.js';
import type { StayCache, StayCacheStats } from '../services/stays/stay-cache.js';

export interface StayCacheReport {
  stats: StayCacheStats;
  /** Every night or catalog the cache holds that differs from the database; empty when they agree. */
  violations: string[];
}

/** How long the audit waits for this server to apply every committed event. */
const SETTLE_MS = 15_000;

/**
 * The search cache against the database, for `npm run bench` and the tests (over GET
 * /internal/stay-cache with an admin token). First waits until every committed event
 * has been published and this server has read the stream's newest entry, so a night
 * that differs is one the cache got wrong, not one still on its way.
 */
export async function auditStayCache(deps: {
  em: EntityManager;
  cache: StayCache;
  redis?: Redis;
  source?: RedisEventSource;
}): Promise<StayCacheReport> {
  const { em, cache, redis, source } = deps;
  const settled = async () => {
    if ((await countUnpublished(em)) > 0) return false;
    if (!redis || !source) return true;
    const [newest] = await redis.xrevrange(EVENT_STREAM, '+', '-', 'COUNT', 1);
    return !newest || source.hasRead(newest[0]);
  };
  const deadline = Date.now() + SETTLE_MS;
  while (!(await settled())) {
    if (Date.now() > deadline) {
      return { stats: cache.stats(), violations: [`stay cache: events were still unapplied after ${SETTLE_MS} ms`] };
    }
    await delay(50);
  }
  return { stats: cache.stats(), violations: await cache.audit(em) };
}
