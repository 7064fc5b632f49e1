import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { AVAILABILITY_TOPIC, type AvailabilityEvent } from '../../services/stays/availability.js';
import type { Logger } from '../logger.js';
import type { AvailabilityBus } from '../../services/live/availability-bus.js';
import { EVENT_STREAM } from './sinks.js';

/**
 * This server's one reader of Redis: it follows the stream and hands availability
 * events to the local bus. Reading the stream from the last id seen, rather than
 * listening on pub/sub, means a Redis restart or a dropped connection loses nothing:
 * the reader resumes where it was (a restarted Redis numbers new entries from the
 * current time, past the last id).
 */
export class RedisEventSource {
  private readonly client: Redis;
  private running = false;
  private loop?: Promise<void>;
  /** Start a little before now: subscribers only exist from now on, and the bus drops repeats. */
  private lastId = `${Date.now() - 5_000}-0`;
  private failing = false;

  constructor(
    url: string,
    private readonly bus: AvailabilityBus,
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

  async stop(): Promise<void> {
    this.running = false;
    this.client.disconnect();
    await this.loop;
  }

  private async run(): Promise<void> {
    await this.client.connect().catch(() => undefined);
    while (this.running) {
      try {
        const batches = await this.client.xread('COUNT', 1000, 'BLOCK', 1000, 'STREAMS', EVENT_STREAM, this.lastId);
        if (this.failing) this.logger.info('reading events from Redis again');
        this.failing = false;
        for (const [, entries] of batches ?? []) {
          for (const [id, fields] of entries) {
            this.lastId = id;
            this.deliver(fields);
          }
        }
      } catch (err) {
        if (!this.running) break;
        if (!this.failing) this.logger.warn({ err }, 'cannot read events from Redis; retrying');
        this.failing = true;
        await delay(250);
        if (this.client.status === 'wait' || this.client.status === 'end') await this.client.connect().catch(() => undefined);
      }
    }
  }

  private deliver(fields: string[]): void {
    const entry: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) entry[fields[i]] = fields[i + 1];
    if (entry.topic !== AVAILABILITY_TOPIC) return;
    try {
      this.bus.publish(JSON.parse(entry.payload) as AvailabilityEvent);
    } catch (err) {
      this.logger.error({ err, eventId: entry.eventId }, 'dropped an unreadable event');
    }
  }
}
