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
    return !isAfter(id, this.lastId);
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
        const from = this.lastId;
        const batches = await this.client.xread('COUNT', READ_COUNT, 'BLOCK', 1000, 'STREAMS', EVENT_STREAM, from);
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
        if (read === READ_COUNT && (await this.trimmedAfter(from))) {
          this.logger.warn({ after: from }, 'events were trimmed from the stream before this server read them: its search cache starts afresh');
          this.caughtUp = false;
          this.events.streamLost();
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

  /**
   * Whether entries after `id` may be gone from the stream (trimmed by the relays' MAXLEN
   * before this server read them): trimming removes the oldest entries, so that is when
   * `id` itself is gone, the stream's first entry being newer. Asked only after a full read:
   * trimming keeps the newest 100,000 entries, so if an entry after `id` is gone, every
   * entry kept is after `id` and a read from `id` fills its count. `id` trimmed just after
   * this server read it, with nothing after it lost, also answers true: this server is
   * then 100,000 entries behind, and a cache that starts afresh is only slower, never wrong.
   */
  private async trimmedAfter(id: string): Promise<boolean> {
    const info = (await this.client.xinfo('STREAM', EVENT_STREAM)) as unknown[];
    const field = (name: string) => {
      const at = info.indexOf(name);
      return at < 0 ? undefined : info[at + 1];
    };
    // Redis 7 counts every entry ever added: as many as the stream holds, none was trimmed
    // (this server may have started reading before the stream's first entry).
    const added = field('entries-added');
    if (added !== undefined && added === field('length')) return false;
    const first = field('first-entry') as [string, string[]] | null | undefined;
    return Boolean(first) && isAfter(first![0], id);
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

/** Whether stream id `a` comes after `b` (ids are `<ms>-<seq>`). */
function isAfter(a: string, b: string): boolean {
  const [ms, seq] = a.split('-').map(Number);
  const [otherMs, otherSeq] = b.split('-').map(Number);
  return ms > otherMs || (ms === otherMs && seq > otherSeq);
}
