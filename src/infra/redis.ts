import { Redis } from 'ioredis';
import type { Logger } from './logger.js';

export type { Redis };

export function createRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    // Fail fast while Redis is down instead of queueing: PostgreSQL is the source of truth.
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 2000),
    // Commands issued in the same tick go out in one write: one socket write per hold
    // script was the largest single cost of a seat hold (bench/RESULTS.md).
    enableAutoPipelining: true,
  });
  let reported = false;
  redis.on('error', (err) => {
    if (!reported) logger.warn({ err }, 'redis unavailable; retrying in the background');
    reported = true;
  });
  redis.on('ready', () => {
    if (reported) logger.info('redis reachable again');
    reported = false;
  });
  return redis;
}

/**
 * Whether Redis answers within `timeoutMs`. A client still (re)connecting gets that
 * long to finish: with the offline queue off, a PING sent before would fail at once,
 * and a server that has just started would report Redis down.
 */
export async function pingRedis(redis: Redis, timeoutMs = 1000): Promise<boolean> {
  const started = Date.now();
  try {
    const connecting = redis.status === 'connecting' || redis.status === 'connect' || redis.status === 'reconnecting';
    if (connecting && !(await becomesReady(redis, timeoutMs))) return false;
    const reply = await withTimeout(redis.ping(), Math.max(1, timeoutMs - (Date.now() - started)));
    return reply === 'PONG';
  } catch {
    return false;
  }
}

/** Whether the client gets ready within `ms`; the listener is removed either way. */
function becomesReady(redis: Redis, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      resolve(ready);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), ms);
    redis.once('ready', onReady);
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
