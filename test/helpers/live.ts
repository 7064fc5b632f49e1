import { setTimeout as delay } from 'node:timers/promises';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { App } from '../../src/app/app.js';
import { addDays } from '../../src/services/common/dates.js';
import { daysFromNow, SET_INVENTORY } from './booking.js';
import { createRoomType, unique } from './catalog.js';
import type { GraphQLClient } from './graphql.js';

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
 * Returns once every event the hotel committed so far has reached the bus of each app,
 * so that a subscription made afterwards sees only what happens next. The positive
 * signal: a marker change on a room type of its own, committed after all of them, that
 * a probe on each bus waits for. The relay publishes in commit order and each bus
 * takes events in that order, so what came before the marker has passed every bus.
 */
export async function quiet(apps: App[], client: GraphQLClient, token: string, hotelId: string): Promise<void> {
  const marker = await createRoomType(client, token, hotelId, { name: unique('Marker') });
  const probes = apps.map((app) => app.bus.subscribe({ hotelId, roomTypeId: marker.id }));
  try {
    const night = daysFromNow(1);
    await client.ok(SET_INVENTORY, { input: { roomTypeId: marker.id, from: night, to: addDays(night, 1), total: 1 } }, token);
    await withTimeout(Promise.all(probes.map((probe) => probe.next())), 5_000, 'the marker on every bus');
  } finally {
    for (const probe of probes) await probe.return?.();
  }
}

/**
 * Waits until every watcher has received a change matching `isMarker`. Events on one
 * socket arrive in commit order, so once a marker caused after the changes under test
 * has arrived, whatever those changes were going to deliver has arrived too: a
 * watcher's list is complete up to the marker, and can be compared exactly.
 */
export function untilMarker(watchers: Watcher[], isMarker: (change: Change) => boolean, timeoutMs = 5_000): Promise<void> {
  return until(() => watchers.every((w) => w.changes.some(isMarker)), timeoutMs, 'the marker on every watcher');
}

/** Polls until `condition` holds; throws after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs: number, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(10);
  }
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  const timer = new AbortController();
  try {
    return await Promise.race([
      promise,
      delay(timeoutMs, undefined, { signal: timer.signal }).then(() => {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      }),
    ]);
  } finally {
    timer.abort();
  }
}
