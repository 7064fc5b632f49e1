import { callerKey, chargesOf, RateLimits, type Budget } from '../../src/infra/limits/rate-limits.js';
import { createLogger } from '../../src/infra/logger.js';
import { createRedis } from '../../src/infra/redis.js';
import { parse, type GraphQLError, type OperationDefinitionNode } from 'graphql';
import type { DomainError } from '../../src/services/common/errors.js';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { RateLimitsConfig } from '../../src/infra/config.js';
import type { Orm } from '../../src/infra/database.js';
import { createHotel } from '../helpers/catalog.js';
import { wsUrl } from '../helpers/live.js';
import { openTestDatabase, startTestServer, testConfig, type TestServer } from '../helpers/server.js';

/**
 * Per-caller budgets: reads, holds and bookings, staff writes, each its own; keyed by
 * the token's sub, else the client address (X-Forwarded-For only from a trusted proxy);
 * RATE_LIMITED with retryAfterSeconds and Retry-After; shared by the instances of one
 * Redis. Every server here counts under a key prefix of its own (tests running at the
 * same time share the Redis), so the counts are this file's alone.
 */

let orm: Orm;
const servers: TestServer[] = [];

beforeAll(async () => {
  orm = await openTestDatabase(testConfig());
});

afterAll(async () => {
  for (const server of servers) await server.app.stop();
  await orm?.close();
});

async function serverWith(limits: Partial<RateLimitsConfig>, extra: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const base = testConfig().rateLimits;
  const server = await startTestServer(
    { rateLimits: { ...base, keyPrefix: `rl-test-${randomUUID()}`, ...limits }, ...extra },
    { orm },
  );
  servers.push(server);
  // With Redis, count from the first request in Redis: until the client is connected the
  // limiter counts in memory (its stand-in for a Redis outage), which would split the counts.
  const ready = server.app.url.replace('/graphql', '/readyz');
  await until(async () => (await fetch(ready)).status === 200, 5_000, 'readiness');
  return server;
}

async function until(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function post(server: TestServer, query: string, options: { token?: string; headers?: Record<string, string>; variables?: unknown } = {}) {
  const response = await fetch(server.app.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables: options.variables }),
  });
  const body = (await response.json()) as { data?: unknown; errors?: { extensions?: Record<string, unknown> }[] };
  return { status: response.status, retryAfter: response.headers.get('retry-after'), code: body.errors?.[0]?.extensions?.code, body };
}

const READ = '{ hotels(first: 1) { edges { cursor } } }';
const BOOKING = `mutation { reserve(input: { idempotencyKey: "rate-limit-key-1", roomTypeId: "00000000-0000-0000-0000-000000000000",
  checkIn: "2027-03-01", checkOut: "2027-03-02", guest: { name: "A", email: "a@example.com" }, paymentToken: "tok_ok" }) { id } }`;

describe('budgets', () => {
  it('answers RATE_LIMITED with retryAfterSeconds, HTTP 429 and Retry-After once a caller has spent its reads', async () => {
    const server = await serverWith({ reads: 3 });
    for (let i = 0; i < 3; i++) expect((await post(server, READ)).code).toBeUndefined();
    const refused = await post(server, READ);
    expect(refused.status).toBe(429);
    expect(refused.code).toBe('RATE_LIMITED');
    const seconds = refused.body.errors![0].extensions!.retryAfterSeconds as number;
    expect(seconds).toBeGreaterThanOrEqual(1);
    expect(seconds).toBeLessThanOrEqual(60);
    expect(refused.retryAfter).toBe(String(seconds));
    expect(refused.body.data).toBeUndefined();
  });

  it('keeps reads, holds and bookings, and staff writes apart; staff and admin are limited too', async () => {
    const server = await serverWith({ reads: 2, bookings: 2, staffWrites: 2 });
    const guest = await server.token({ sub: `guest-${randomUUID()}`, role: 'guest' });
    const admin = await server.token({ sub: `admin-${randomUUID()}`, role: 'admin' });
    for (let i = 0; i < 2; i++) expect((await post(server, READ, { token: guest })).code).toBeUndefined();
    expect((await post(server, READ, { token: guest })).code).toBe('RATE_LIMITED');
    // Reads spent; bookings are another budget (the unknown room type is the service's answer).
    expect((await post(server, BOOKING, { token: guest })).code).toBe('NOT_FOUND');
    expect((await post(server, BOOKING, { token: guest })).code).not.toBe('RATE_LIMITED');
    expect((await post(server, BOOKING, { token: guest })).code).toBe('RATE_LIMITED');
    // An admin's catalog writes: their own budget, and limited.
    for (let i = 0; i < 2; i++) await createHotel(server.client, admin);
    const third = await post(server, `mutation { createHotel(input: { name: "H", city: "Oslo", timezone: "Europe/Oslo", currency: "NOK" }) { id } }`, { token: admin });
    expect(third.code).toBe('RATE_LIMITED');
    expect(third.body.errors![0].extensions!.budget).toBe('staff writes');
  });

  it('charges every root field: aliased bookings in one mutation spend as many points', async () => {
    const server = await serverWith({ bookings: 3 });
    const guest = await server.token({ sub: `guest-${randomUUID()}`, role: 'guest' });
    const four = `mutation { ${[1, 2, 3, 4].map((i) => `r${i}: releaseHold(token: "t${i}") { token }`).join(' ')} }`;
    const answer = await post(server, four, { token: guest });
    expect(answer.code).toBe('RATE_LIMITED');
  });

  it('keys by sub, else by address; X-Forwarded-For counts only from a trusted proxy', async () => {
    const untrusting = await serverWith({ reads: 1 });
    const a = await untrusting.token({ sub: `a-${randomUUID()}`, role: 'guest' });
    const b = await untrusting.token({ sub: `b-${randomUUID()}`, role: 'guest' });
    expect((await post(untrusting, READ, { token: a })).code).toBeUndefined();
    expect((await post(untrusting, READ, { token: a })).code).toBe('RATE_LIMITED');
    expect((await post(untrusting, READ, { token: b })).code).toBeUndefined();
    expect((await post(untrusting, READ, { headers: { 'x-forwarded-for': '203.0.113.1' } })).code).toBeUndefined();
    // Not a trusted proxy: the header is ignored, this is the same address again.
    expect((await post(untrusting, READ, { headers: { 'x-forwarded-for': '203.0.113.2' } })).code).toBe('RATE_LIMITED');

    const behindProxy = await serverWith({ reads: 1 }, { trustedProxies: ['127.0.0.1', '10.0.0.0/8'] });
    const from = (chain: string) => post(behindProxy, READ, { headers: { 'x-forwarded-for': chain } });
    expect((await from('203.0.113.1')).code).toBeUndefined();
    expect((await from('203.0.113.1')).code).toBe('RATE_LIMITED');
    expect((await from('203.0.113.2')).code).toBeUndefined();
    // A client cannot pick its key by prepending: the rightmost untrusted hop counts (10.1.2.3 is a trusted proxy).
    expect((await from('198.51.100.7, 203.0.113.1, 10.1.2.3')).code).toBe('RATE_LIMITED');
  });

  it('counts subscribe messages as reads, answered on the socket like HTTP', async () => {
    const server = await serverWith({ reads: 2 });
    const admin = await server.token({ sub: `admin-${randomUUID()}`, role: 'admin' });
    const hotelId = (await createHotel(server.client, admin)).id;
    const client = createClient({ url: wsUrl(server.app), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, connectionParams: { authorization: `Bearer ${admin}` } });
    try {
      const codes: unknown[] = [];
      for (let i = 0; i < 2; i++) {
        await new Promise<void>((resolve) => {
          client.subscribe({ query: '{ __typename }' }, { next: () => undefined, error: (e) => (codes.push(e), resolve()), complete: resolve });
        });
      }
      const refused = await new Promise<unknown>((resolve) => {
        client.subscribe(
          { query: 'subscription($h: ID!) { availabilityChanged(hotelId: $h) { eventId } }', variables: { h: hotelId } },
          { next: () => undefined, error: resolve, complete: () => resolve(undefined) },
        );
      });
      expect(codes).toEqual([]);
      expect((refused as { extensions: { code: string } }[])[0].extensions.code).toBe('RATE_LIMITED');
    } finally {
      await client.dispose();
    }
  });

  it('0 turns a budget off', async () => {
    const server = await serverWith({ reads: 0 });
    for (let i = 0; i < 20; i++) expect((await post(server, READ)).code).toBeUndefined();
  });
});

describe('which budget', () => {
  it("charges every guest mutation of the contract to holds and bookings, and other mutations to staff writes", () => {
    const guestMutations = [
      'reserve', 'cancelReservation', 'holdSeats', 'holdBestAvailable', 'holdTimedEntry', 'holdTable',
      'extendHold', 'releaseHold', 'checkout', 'cancelBooking', 'updateBookingDetails',
    ];
    const budgetOf = (field: string) => {
      const document = parse(`mutation { ${field} }`);
      return [...chargesOf(document.definitions[0] as OperationDefinitionNode, document).keys()];
    };
    expect(guestMutations.map(budgetOf)).toEqual(guestMutations.map(() => ['bookings']));
    expect(['createHotel', 'setTimeSlots', 'createDiningTable'].map(budgetOf)).toEqual([['staffWrites'], ['staffWrites'], ['staffWrites']]);
  });
});

describe('with Redis', () => {
  const redisUrl = testConfig().redisUrl;
  (redisUrl ? it : it.skip)('two instances spend one budget', async () => {
    const keyPrefix = `rl-test-${randomUUID()}`;
    const one = await serverWith({ reads: 4, keyPrefix });
    const two = await serverWith({ reads: 4, keyPrefix });
    const token = await one.token({ sub: `shared-${randomUUID()}`, role: 'guest' });
    for (const server of [one, two, one, two]) expect((await post(server, READ, { token })).code).toBeUndefined();
    expect((await post(two, READ, { token })).code).toBe('RATE_LIMITED');
    expect((await post(one, READ, { token })).code).toBe('RATE_LIMITED');
  });
});

describe('with Redis, in grants', () => {
  const redisUrl = testConfig().redisUrl;
  const logger = createLogger('silent');
  const reads = new Map<Budget, number>([['reads', 1]]);
  const codeOf = (error: GraphQLError | undefined) => (error?.originalError as DomainError | undefined)?.code;

  /** Two instances' budgets (their own clients) over one counter, and how many round trips each made. */
  async function twoInstances(points: number, windowSeconds = 60) {
    const config = { ...testConfig().rateLimits, reads: points, windowSeconds, keyPrefix: `rl-grant-${randomUUID()}` };
    const instances = [0, 1].map(() => {
      const redis = createRedis(redisUrl!, logger);
      const trips = { count: 0 };
      const limits = new RateLimits(config, redis, logger);
      const grant = (redis as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>).rateLimitGrant;
      jest.spyOn(redis as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>, 'rateLimitGrant').mockImplementation(
        function (this: unknown, ...args: unknown[]) {
          trips.count++;
          return grant.apply(this, args);
        },
      );
      return { redis, limits, trips };
    });
    await Promise.all(instances.map(({ redis }) => until(async () => redis.status === 'ready', 5_000, 'redis')));
    return instances;
  }

  (redisUrl ? it : it.skip)('never lets a caller past its budget across instances, and spends it in far fewer round trips', async () => {
    const instances = await twoInstances(1_000);
    try {
      const key = callerKey({ principal: { sub: `flood-${randomUUID()}`, role: 'guest' } } as never, '127.0.0.1');
      // 1,500 reads at once, alternating instances: every one either spent or refused.
      const answers = await Promise.all(
        Array.from({ length: 1_500 }, (_, i) => instances[i % 2].limits.consume(key, reads)),
      );
      const accepted = answers.filter((answer) => answer === undefined).length;
      // Never past the budget; short of it by at most what the other instance still holds (5% = 50).
      expect(accepted).toBeLessThanOrEqual(1_000);
      expect(accepted).toBeGreaterThanOrEqual(950);
      expect(answers.filter((answer) => answer !== undefined).every((error) => codeOf(error) === 'RATE_LIMITED')).toBe(true);
      const trips = instances[0].trips.count + instances[1].trips.count;
      expect(trips).toBeLessThan(accepted / 10);
      // Over budget, an instance refuses from memory: a flood costs no more round trips.
      for (const { limits } of instances) expect(await limits.consume(key, reads)).toBeDefined();
      expect(instances[0].trips.count + instances[1].trips.count).toBeLessThanOrEqual(trips + 2);
    } finally {
      for (const { redis } of instances) redis.disconnect();
    }
  });

  (redisUrl ? it : it.skip)('grants an occasional caller one point at a time, and a new window gives the budget back', async () => {
    const instances = await twoInstances(100, 1);
    try {
      const key = `sub:occasional-${randomUUID()}`;
      expect(await instances[0].limits.consume(key, reads)).toBeUndefined();
      // One point asked for, one counted in Redis: another instance still sees 99 left.
      const other = await Promise.all(Array.from({ length: 99 }, () => instances[1].limits.consume(key, reads)));
      expect(other.filter((answer) => answer === undefined).length).toBe(99);
      const refused = await instances[1].limits.consume(key, reads);
      expect(codeOf(refused)).toBe('RATE_LIMITED');
      expect((refused?.originalError as DomainError).details?.retryAfterSeconds).toBe(1);
      // The window (1 s) ends: the budget is back.
      await until(async () => (await instances[0].limits.consume(key, reads)) === undefined, 5_000, 'a new window');
    } finally {
      for (const { redis } of instances) redis.disconnect();
    }
  });
});
