import { ConnectionException } from '@mikro-orm/core';
import type { Logger } from './logger.js';

/** What a client is told to wait before retrying an operation that met a dependency outage. */
export const OUTAGE_RETRY_AFTER_SECONDS = 2;

export type Dependency = 'database' | 'redis';

/** Node socket errors: the peer is not there, went away, or did not answer. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);
/**
 * PostgreSQL SQLSTATEs of a server that is going away or not accepting work:
 * admin/crash shutdown, cannot connect now (starting up, recovering), and class 08 (connection exceptions).
 */
const POSTGRES_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006']);
const POSTGRES_MESSAGES = [
  /^Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error and is not queryable/i,
  /^the database system is (starting up|shutting down|in recovery mode)/i,
];
const REDIS_MESSAGES = [/^Connection is closed\.?$/, /^Stream isn't writeable/, /^Reached the max retries per request limit/];
const REDIS_NAMES = new Set(['MaxRetriesPerRequestError']);

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  cause?: unknown;
  originalError?: unknown;
  errors?: unknown;
}

/**
 * Whether an error means a dependency is unreachable, restarting or refusing
 * connections, and which one: the cause chain is walked (GraphQLError.originalError,
 * Error.cause, MikroORM's copied driver fields, AggregateError.errors). Undefined for
 * everything else, which stays an unexpected error.
 */
export function outageOf(error: unknown): Dependency | undefined {
  const seen = new Set<unknown>();
  const walk = (value: unknown, depth: number): Dependency | undefined => {
    if (value === null || typeof value !== 'object' || seen.has(value) || depth > 10) return undefined;
    seen.add(value);
    const err = value as ErrorLike;
    const own = classifyOne(err);
    if (own) return own;
    const nested: unknown[] = [err.cause, err.originalError];
    if (Array.isArray(err.errors)) nested.push(...err.errors);
    for (const next of nested) {
      const found = walk(next, depth + 1);
      if (found) return found;
    }
    return undefined;
  };
  return walk(error, 0);
}

function classifyOne(err: ErrorLike): Dependency | undefined {
  const name = typeof err.name === 'string' ? err.name : '';
  const message = typeof err.message === 'string' ? err.message : '';
  const code = typeof err.code === 'string' ? err.code : '';
  if (REDIS_NAMES.has(name) || REDIS_MESSAGES.some((pattern) => pattern.test(message))) return 'redis';
  if (err instanceof ConnectionException) return 'database';
  if (POSTGRES_CODES.has(code) || POSTGRES_MESSAGES.some((pattern) => pattern.test(message))) return 'database';
  // A bare socket error: ioredis reports its own as the messages above, so this is the database's pool.
  if (NETWORK_CODES.has(code)) return 'database';
  return undefined;
}

interface Episode {
  failures: number;
  since: number;
  timer: NodeJS.Timeout;
}

/**
 * Logs dependency outages once per episode instead of once per request: the first
 * failure warns "dependency unavailable"; later ones only count; after `quietMs`
 * with no failure, or when `recovered()` is called, one info line "dependency back
 * after N failures" closes the episode.
 */
export class OutageLog {
  private readonly episodes = new Map<Dependency, Episode>();

  constructor(
    private readonly logger: Logger,
    private readonly quietMs = 3_000,
  ) {}

  failure(dependency: Dependency, error: unknown): void {
    const episode = this.episodes.get(dependency);
    if (episode) {
      episode.failures++;
      episode.timer.refresh();
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    this.logger.warn({ dependency, error: message }, 'dependency unavailable: answering BUSY until it is back');
    const timer = setTimeout(() => this.recovered(dependency), this.quietMs);
    timer.unref();
    this.episodes.set(dependency, { failures: 1, since: Date.now(), timer });
  }

  /** Ends the dependency's episode, if one is open, with its count. */
  recovered(dependency: Dependency): void {
    const episode = this.episodes.get(dependency);
    if (!episode) return;
    clearTimeout(episode.timer);
    this.episodes.delete(dependency);
    this.logger.info(
      { dependency, failures: episode.failures, durationMs: Date.now() - episode.since },
      `dependency back after ${episode.failures} failures`,
    );
  }

  /** Closes every open episode (the server is stopping). */
  close(): void {
    for (const dependency of [...this.episodes.keys()]) this.recovered(dependency);
  }
}
