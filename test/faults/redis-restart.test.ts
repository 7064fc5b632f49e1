import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { auditVenueInvariants } from '../../src/services/venues/audit.js';
import { errorCode } from '../helpers/graphql.js';
import { HOLD_SEATS } from '../helpers/holds.js';
import { freePort, RedisProcess, redisServerInstalled } from '../helpers/redis-process.js';
import { startTestServer, testConfig, type TestServer } from '../helpers/server.js';
import { seatedPerformance } from '../helpers/venues.js';

/**
 * The fault suite: the Redis that rate budgets and seat holds live in is killed and
 * started again (empty) while guests hold seats. While it is down, a read still gets its
 * answer and its budget is still counted (each instance in its own memory); a hold gets
 * BUSY, never an unexpected error or a hang. Once it is back, holds resume by themselves
 * (the performance is rebuilt from PostgreSQL), budgets are counted in Redis again, and
 * the venue invariants hold.
 */
const describeWithRedis = redisServerInstalled() ? describe : describe.skip;
const READS = 6;
const keyPrefix = `rl-restart-${randomUUID()}`;
let redis: RedisProcess;
let server: TestServer;
let admin: string;

const VENUE = `query($id: ID!) { venue(id: $id) { id } }`;

beforeAll(async () => {
  if (!redisServerInstalled()) return;
  redis = new RedisProcess(await freePort());
  await redis.start();
  const base = testConfig();
  server = await startTestServer({
    redisUrl: redis.url,
    rateLimits: { ...base.rateLimits, reads: READS, keyPrefix },
  });
  admin = await server.token({ sub: `admin-${randomUUID()}`, role: 'admin' });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await redis?.stop();
}, 60_000);

describeWithRedis('Redis killed and started again', () => {
  it('keeps counting budgets, answers holds BUSY while it is down, and resumes holds by itself', async () => {
    const { venue, performance } = await seatedPerformance(server.client, admin);
    const guest = await server.token({ sub: `guest-${randomUUID()}`, role: 'guest' });
    const hold = (seatIds: string[]) => server.client.request(HOLD_SEATS, { input: { performanceId: performance.id, seatIds } }, guest);
    expect(errorCode(await hold(['ORCH-R1-1']))).toBeUndefined();

    await redis.stop();
    // Reads are answered, and counted in memory: the budget still runs out.
    const reader = await server.token({ sub: `reader-${randomUUID()}`, role: 'guest' });
    const reads = [];
    for (let i = 0; i <= READS; i++) reads.push(errorCode(await server.client.request(VENUE, { id: venue.id }, reader)));
    expect(reads).toEqual([...Array(READS).fill(undefined), 'RATE_LIMITED']);
    // A hold needs the engine: BUSY with retryAfterSeconds, well inside a request timeout.
    const started = Date.now();
    const refused = await hold(['ORCH-R1-2']);
    expect(errorCode(refused)).toBe('BUSY');
    expect(refused.errors![0].extensions!.retryAfterSeconds).toEqual(expect.any(Number));
    expect(Date.now() - started).toBeLessThan(10_000);

    await redis.start();
    // Back, and empty: the first hold rebuilds the performance from PostgreSQL and goes through.
    const deadline = Date.now() + 15_000;
    let again = await hold(['ORCH-R1-3']);
    while (errorCode(again) === 'BUSY' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      again = await hold(['ORCH-R1-3']);
    }
    expect(errorCode(again)).toBeUndefined();
    // Budgets are counted in Redis again.
    const next = await server.token({ sub: `reader-${randomUUID()}`, role: 'guest' });
    expect(errorCode(await server.client.request(VENUE, { id: venue.id }, next))).toBeUndefined();
    const client = new Redis(redis.url);
    try {
      expect((await client.keys(`${keyPrefix}*`)).length).toBeGreaterThan(0);
    } finally {
      client.disconnect();
    }
    const reports = await auditVenueInvariants(server.orm.em.fork(), server.app.holds, { offeringIds: [performance.id] });
    expect(reports.flatMap((r) => r.violations)).toEqual([]);
    expect(server.logs.filter((log) => log.level === 'error')).toEqual([]);
  }, 60_000);
});
