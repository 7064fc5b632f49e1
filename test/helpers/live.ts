import { setTimeout as delay } from 'node:timers/promises';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { App } from '../../src/app/app.js';
import type { Orm } from '../../src/infra/database.js';

export const AVAILABILITY_CHANGED = `subscription($hotelId: ID!, $roomTypeId: ID, $from: LocalDate, $to: LocalDate) {
  availabilityChanged(hotelId: $hotelId, roomTypeId: $roomTypeId, from: $from, to: $to) {
    eventId hotelId roomTypeId at
    days { date total reserved sellLimit available baseRate { amount currency } rate { amount currency } }
  }
}`;

export interface Change {
  eventId: string;
  hotelId: string;
  roomTypeId: string;
  at: string;
  days: { date: string; total: number; reserved: number; sellLimit: number; available: number; rate: { amount: string } | null }[];
}

export function wsUrl(app: App): string {
  return app.url.replace(/^http/, 'ws');
}

/** A graphql-ws client on one socket, as a browser would open it. */
export function connect(app: App, authorization?: string): Client {
  return createClient({
    url: wsUrl(app),
    webSocketImpl: WebSocket,
    connectionParams: authorization ? { authorization } : undefined,
    retryAttempts: 0,
    lazy: true,
  });
}

export interface Watcher {
  changes: Change[];
  errors: unknown[];
  stop(): void;
}

/** Subscribes and collects what arrives; resolves once the server has the subscription in place. */
export async function watch(app: App, client: Client, variables: Record<string, unknown>): Promise<Watcher> {
  const changes: Change[] = [];
  const errors: unknown[] = [];
  const before = app.bus.subscriberCount;
  const stop = client.subscribe<{ availabilityChanged: Change }>(
    { query: AVAILABILITY_CHANGED, variables },
    {
      next: (result) => {
        if (result.errors) errors.push(...result.errors);
        if (result.data) changes.push(result.data.availabilityChanged);
      },
      // graphql-ws hands operation errors over as an array, socket closes as a CloseEvent.
      error: (error) => errors.push(...(Array.isArray(error) ? error : [error])),
      complete: () => undefined,
    },
  );
  await until(() => app.bus.subscriberCount > before || errors.length > 0, 5_000);
  return { changes, errors, stop };
}

/**
 * Waits until the hotel's committed events have left the outbox and had time to cross
 * Redis, so a subscription made afterwards sees only what happens next.
 */
export async function quiet(orm: Orm, hotelId: string): Promise<void> {
  const pending = async () =>
    Number(
      (
        await orm.em
          .fork()
          .execute<{ n: string }[]>('select count(*) as n from outbox where hotel_id = ? and published_at is null', [hotelId])
      )[0].n,
    );
  const deadline = Date.now() + 5_000;
  while ((await pending()) > 0) {
    if (Date.now() > deadline) throw new Error('the outbox did not drain');
    await delay(20);
  }
  await delay(200);
}

/** Polls until `condition` holds; throws after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs: number, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(10);
  }
}
