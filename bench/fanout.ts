import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { percentiles } from './load.js';
import { serverProcess, type ServerProcess } from './processes.js';

export interface FanoutResult {
  subscribers: number;
  events: number;
  deliveries: number;
  missing: number;
  duplicates: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
}

const SUBSCRIPTION = `subscription($hotelId: ID!) { availabilityChanged(hotelId: $hotelId) { eventId at } }`;

/**
 * `subscribers` WebSocket clients on one hotel, spread over the servers given; then
 * `events` reservations, one at a time. Latency is from the event's commit (its `at`,
 * stamped in the committing transaction) to its arrival at each subscriber.
 */
export async function fanout(
  servers: ServerProcess[],
  hotelId: string,
  subscribers: number,
  events: number,
  book: () => Promise<void>,
): Promise<FanoutResult> {
  const clients: Client[] = [];
  const arrivals = new Map<string, number[]>();
  const seen: Set<string>[] = [];
  let duplicates = 0;
  const warmUp = new Set<string>();
  let subscribed = 0;
  for (let i = 0; i < subscribers; i++) {
    const server = servers[i % servers.length];
    const client = createClient({ url: server.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
    clients.push(client);
    const mine = new Set<string>();
    seen.push(mine);
    client.subscribe<{ availabilityChanged: { eventId: string; at: string } }>(
      { query: SUBSCRIPTION, variables: { hotelId } },
      {
        next: ({ data }) => {
          if (!data) return;
          const { eventId, at } = data.availabilityChanged;
          if (mine.has(eventId)) duplicates++;
          mine.add(eventId);
          if (warmUp.has(eventId)) return;
          const list = arrivals.get(eventId) ?? [];
          list.push(Date.now() - Date.parse(at));
          arrivals.set(eventId, list);
        },
        error: () => undefined,
        complete: () => undefined,
      },
    );
    client.on('connected', () => subscribed++);
    if (i % 200 === 199) await delay(50); // do not open 2,000 sockets in one burst
  }
  // Warm-up: book until every subscriber has seen one event, so all subscriptions are in place.
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const before = new Set(arrivals.keys());
    await book();
    await delay(500);
    for (const id of arrivals.keys()) if (!before.has(id)) warmUp.add(id);
    if (subscribed >= subscribers && seen.every((s) => [...warmUp].some((id) => s.has(id)))) break;
  }
  arrivals.clear();

  for (let i = 0; i < events; i++) {
    await book();
    await delay(100);
  }
  await delay(2_000);
  for (const client of clients) await client.dispose();

  const latencies = [...arrivals.values()].flat();
  return {
    subscribers,
    events,
    deliveries: latencies.length,
    missing: events * subscribers - latencies.length,
    duplicates,
    latencyMs: percentiles(latencies),
  };
}

/**
 * The fan-out ceiling: `subscribers` of the same clients over two bare WebSocket servers
 * (fanout-ceiling.mjs, each a process of its own, as the servers are), each event sent
 * to both at once, stamped when it is sent. What it measures is what no server can do
 * without on this machine: writing each event to every socket, and the one load
 * generator process reading them all.
 */
export async function fanoutCeiling(
  subscribers: number,
  events: number,
): Promise<{ servers: ServerProcess[]; run: () => Promise<FanoutResult>; stop: () => Promise<void> }> {
  const servers = [await startBareFanout(), await startBareFanout()];
  const publish = async () => {
    const body = JSON.stringify({ eventId: randomUUID(), at: new Date().toISOString() });
    await Promise.all(
      servers.map(async (server) => {
        const response = await fetch(`${server.origin}/publish`, { method: 'POST', body });
        if (response.status !== 204) throw new Error(`the bare fan-out server answered ${response.status}`);
      }),
    );
  };
  return {
    servers,
    run: () => fanout(servers, 'ceiling', subscribers, events, publish),
    stop: async () => {
      await Promise.all(servers.map((server) => server.stop()));
    },
  };
}

async function startBareFanout(): Promise<ServerProcess> {
  const child = spawn(process.execPath, [path.join(import.meta.dirname, 'fanout-ceiling.mjs')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return serverProcess(child, 'bare fan-out server');
}
