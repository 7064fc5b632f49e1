import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { HeavyGate } from '../../src/infra/limits/heavy-gate.js';
import { connect, until } from '../helpers/live.js';
import { startTestServer, testConfig, type TestServer } from '../helpers/server.js';
import { SEAT_MAP, seatedPerformance } from '../helpers/venues.js';

/**
 * Heavy operations (an estimated cost of HEAVY_OPERATION_COST or more: a whole seat map)
 * run at most HEAVY_OPERATIONS at once per process, with at most HEAVY_OPERATIONS_WAITING
 * in line; beyond that, BUSY with retryAfterSeconds (HTTP 503 and Retry-After). Light
 * operations never wait. The test takes the gate's one place itself, so what waits and
 * what is refused is decided by the test, not by timing.
 */
let server: TestServer;
let performanceId: string;

beforeAll(async () => {
  const base = testConfig();
  server = await startTestServer({ queryLimits: { ...base.queryLimits, heavyConcurrency: 1, heavyWaiting: 1 } });
  const admin = await server.token({ sub: `admin-${randomUUID()}`, role: 'admin' });
  performanceId = (await seatedPerformance(server.client, admin)).performance.id;
});

afterAll(async () => {
  await server?.stop();
});

async function post(query: string, variables?: Record<string, unknown>) {
  const response = await fetch(server.app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as {
    data?: { performance?: { seats: unknown[] } };
    errors?: { extensions?: Record<string, unknown> }[];
  };
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body };
}

describe('the gate', () => {
  it('lets `concurrency` in, keeps `maxWaiting` in line, and refuses past that', async () => {
    const gate = new HeavyGate(2, 1);
    const [first, second] = await Promise.all([gate.enter(), gate.enter()]);
    let thirdIn = false;
    const third = gate.enter().then((leave) => ((thirdIn = true), leave));
    expect(gate.counts).toEqual({ running: 2, waiting: 1 });
    expect(await gate.enter()).toBeUndefined();
    expect(thirdIn).toBe(false);
    first!();
    first!(); // leaving twice frees one place only
    (await third)!();
    expect(thirdIn).toBe(true);
    second!();
    await until(() => gate.counts.running === 0, 1_000, 'the gate to empty');
    expect(gate.counts).toEqual({ running: 0, waiting: 0 });
  });
});

describe('heavy operations', () => {
  it('wait for a place over HTTP, are BUSY when the line is full, and never hold up light ones', async () => {
    const leave = (await server.app.heavy.enter())!;
    let answered = false;
    const waiting = post(SEAT_MAP, { id: performanceId }).then((answer) => ((answered = true), answer));
    await until(() => server.app.heavy.counts.waiting === 1, 5_000, 'the seat map to wait');

    const refused = await post(SEAT_MAP, { id: performanceId });
    expect(refused.status).toBe(503);
    expect(refused.body.errors?.[0].extensions).toMatchObject({ code: 'BUSY', retryAfterSeconds: 1 });
    expect(refused.retryAfter).toBe('1');
    expect(refused.body.data).toBeUndefined();
    // A light read is answered while the heavy one waits.
    const light = await post('query($id: ID!) { performance(id: $id) { id available } }', { id: performanceId });
    expect(light.body.errors).toBeUndefined();
    expect(answered).toBe(false);

    leave();
    const answer = await waiting;
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data!.performance!.seats).toHaveLength(46);
    expect(server.app.heavy.counts).toEqual({ running: 0, waiting: 0 });
  });

  it('are gated over WebSocket as well', async () => {
    const leave = (await server.app.heavy.enter())!;
    const waiting = post(SEAT_MAP, { id: performanceId });
    await until(() => server.app.heavy.counts.waiting === 1, 5_000, 'the seat map to wait');
    const client = connect(server.app);
    try {
      const result = await new Promise<{ errors?: readonly { extensions?: Record<string, unknown> }[] }>((resolve, reject) => {
        client.subscribe({ query: SEAT_MAP, variables: { id: performanceId } }, { next: resolve, error: reject, complete: () => undefined });
      });
      expect(result.errors?.[0].extensions).toMatchObject({ code: 'BUSY', retryAfterSeconds: 1 });
    } finally {
      leave();
      await waiting;
      await client.dispose();
    }
    expect(server.app.heavy.counts).toEqual({ running: 0, waiting: 0 });
  });
});
