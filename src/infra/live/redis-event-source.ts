import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { ServerEvents } from '../../services/live/server-events.js';
import type { Logger } from '../logger.js';
import { EVENT_STREAM } from './sinks.js';

/** Entries read at a time; a read that answers fewer has reached the newest. */
const READ_COUNT = 1000;

/**
 * This server's one reader of Redis: it follows the stream and hands the events to
 * this server (its subscribers and its search cache). Reading the stream from the last
 * id seen, rather than listening on pub/sub, means a Redis restart or a dropped
 * connection loses nothing: the reader resumes where it was (a restarted Redis numbers
 * new entries from the current time, past the last id). It tells the server when it
 * stops being able to read, and when it has caught up with the newest entry (at start,
 * and after a failure).
 */
export class RedisEventSource {
  private readonly client: Redis;
  private running = false;
  private loop?: Promise<void>;
  /** Start a little before now: subscribers only exist from now on, and the bus drops repeats. */
  private lastId = `${Date.now() - 5_000}-0`;
  private failing = false;
  /** Whether the last read reached the newest entry and nothing failed since. */
  private caughtUp = false;

  constructor(
    url: string,
    private readonly events: ServerEvents,
    private readonly logger: Logger,
  ) {
    this.client = new Redis(url, {
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      lazyConnect: true,
      retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 1000),
    });
    this.client.on('error', () => undefined); // reported by the loop below
  }

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Whether this reader has delivered the stream entry `id` (or a later one). */
  hasRead(id: string): boolean {
    const [ms, seq] = id.split('-').map(Number);
    const [lastMs, lastSeq] = this.lastId.split('-').map(Number);
    return lastMs > ms || (lastMs === ms && lastSeq >= seq);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.client.disconnect();
    await this.loop;
  }

  private async run(): Promise<void> {
    await this.client.connect().catch(() => undefined);
    while (this.running) {
      try {
        const batches = await this.client.xread('COUNT', READ_COUNT, 'BLOCK', 1000, 'STREAMS', EVENT_STREAM, this.lastId);
        if (this.failing) this.logger.info('reading events from Redis again');
        this.failing = false;
        let read = 0;
        for (const [, entries] of batches ?? []) {
          for (const [id, fields] of entries) {
            this.lastId = id;
            this.deliver(fields);
            read++;
          }
        }
        if (read < READ_COUNT && !this.caughtUp) {
          this.caughtUp = true;
          this.events.streamCaughtUp();
        }
      } catch (err) {
        if (!this.running) break;
        if (!this.failing) this.logger.warn({ err }, 'cannot read events from Redis; retrying');
        this.failing = true;
        if (this.caughtUp) {
          this.caughtUp = false;
          this.events.streamLost();
        }
        await delay(250);
        if (this.client.status === 'wait' || this.client.status === 'end') await this.client.connect().catch(() => undefined);
      }
    }
  }

  private deliver(fields: string[]): void {
    const entry: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) entry[fields[i]] = fields[i + 1];
    if (!this.events.handles(entry.topic)) return;
    try {
      this.events.deliver(entry.topic, JSON.parse(entry.payload));
    } catch (err) {
      this.logger.error({ err, eventId: entry.eventId }, 'dropped an unreadable event');
    }
  }
}
