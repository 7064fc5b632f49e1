import type { Redis } from 'ioredis';
import type { ServerEvents } from '../../services/live/server-events.js';
import type { EventSink, OutboxRow } from '../../services/live/outbox-relay.js';

/** The Redis stream other services read (with consumer groups), and the pub/sub channel of the same name. */
export const EVENT_STREAM = 'reservation-events';
/** Roughly how many entries the stream keeps. */
const STREAM_MAX_LENGTH = 100_000;

/** Without Redis: this server is the only one, and its own events are the only audience. */
export class LocalSink implements EventSink {
  constructor(private readonly events: ServerEvents) {}

  async publish(rows: readonly OutboxRow[]): Promise<void> {
    for (const row of rows) this.events.deliver(row.topic, row.payload);
  }
}

/**
 * With Redis: every event goes to the stream `reservation-events` (the record other
 * services and every server instance read) and to the pub/sub channel of the same
 * name (for listeners that want no history), in one MULTI.
 */
export class RedisSink implements EventSink {
  constructor(private readonly redis: Redis) {}

  async publish(rows: readonly OutboxRow[]): Promise<void> {
    const multi = this.redis.multi();
    for (const row of rows) {
      const payload = JSON.stringify(row.payload);
      multi.xadd(
        EVENT_STREAM,
        'MAXLEN',
        '~',
        STREAM_MAX_LENGTH,
        '*',
        'eventId',
        row.eventId,
        'topic',
        row.topic,
        'hotelId',
        row.hotelId,
        'payload',
        payload,
      );
      multi.publish(EVENT_STREAM, JSON.stringify({ eventId: row.eventId, topic: row.topic, hotelId: row.hotelId, payload: row.payload }));
    }
    const results = await multi.exec();
    const failed = results?.find(([error]) => error);
    if (!results || failed) throw failed?.[0] ?? new Error('Redis transaction was discarded');
  }
}
