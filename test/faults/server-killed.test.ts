import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { auditInvariants } from '../../src/services/booking/audit.js';
import { addDays } from '../../src/services/common/dates.js';
import { RESERVE, reserveInput, stockedRoomType } from '../helpers/booking.js';
import { errorCode, GraphQLClient, type GraphQLResult } from '../helpers/graphql.js';
import { freePort, PostgresProcess, postgresInstalled } from '../helpers/postgres-process.js';
import { openTestDatabase, startTestServer, testConfig, type TestServer } from '../helpers/server.js';

/**
 * The fault suite: one of two server instances is killed with SIGKILL in the middle of
 * bookings (some waiting on the gateway, some between steps). The survivor's sweeper
 * settles what the dead one left: no charge without a CONFIRMED reservation or a
 * refund, no night held past its deadline, every night's count equal to its holds.
 */
const HOLD_SECONDS = 2;
const SWEEP_MS = 200;
const describeWithPostgres = postgresInstalled() ? describe : describe.skip;

let pg: PostgresProcess;
let survivor: TestServer;
let child: ChildProcess | undefined;
let childUrl: string;
const childOutput: string[] = [];

beforeAll(async () => {
  if (!postgresInstalled()) return;
  pg = await PostgresProcess.create();
  const databaseUrl = pg.url();
  const orm = await openTestDatabase(testConfig({ databaseUrl }), 2);
  await orm.close();
  survivor = await startTestServer({ databaseUrl, booking: { ...testConfig().booking, sweepIntervalMs: SWEEP_MS } });

  // The victim: the real server as `npm run dev` starts it, in a process of its own.
  const port = await freePort();
  childUrl = `http://127.0.0.1:${port}/graphql`;
  child = spawn(process.execPath, ['--import', '@swc-node/register/esm-register', 'src/main.ts'], {
    env: {
      ...process.env,
      NODE_ENV: 'test',
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      JWT_SECRET: survivor.config.auth.jwtSecret,
      HOLD_TTL_SECONDS: String(HOLD_SECONDS),
      PAYMENT_TIMEOUT_MS: '1500',
      SWEEP_INTERVAL_MS: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => childOutput.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => childOutput.push(chunk.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const up = await fetch(new URL('/healthz', childUrl)).then((r) => r.ok, () => false);
    if (up) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the server did not start:\n${childOutput.join('')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}, 90_000);

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await survivor?.stop();
  await pg?.destroy();
}, 60_000);

describeWithPostgres('a server killed with SIGKILL mid-saga', () => {
  it("the other instance's sweeper settles its holds: nights released, no charge kept without a reservation", async () => {
    const admin = await survivor.token({ sub: 'admin-kill', role: 'admin' });
    const guest = await survivor.token({ sub: 'guest-kill', role: 'guest' });
    const { hotel, roomType, from } = await stockedRoomType(survivor.client, admin, { total: 500, nights: 20 });
    const victim = new GraphQLClient(childUrl);
    const answers: GraphQLResult[] = [];
    let killed = false;

    // 16 clients on the victim; every fourth booking's charge never answers, so some sagas
    // are certainly waiting on the gateway (their reservation PENDING) when it dies.
    const clients = Array.from({ length: 16 }, async (_, c) => {
      for (let i = 0; !killed; i++) {
        const checkIn = addDays(from, (c + i) % 18);
        const token = (c + i) % 4 === 0 ? 'tok_timeout' : 'tok_ok';
        const input = reserveInput(roomType.id, checkIn, addDays(checkIn, 1 + (i % 2)), { paymentToken: token });
        const answer = await victim.request(RESERVE, { input }, guest).catch(() => undefined);
        if (answer) answers.push(answer);
      }
    });

    const pending = async () =>
      (
        await survivor.orm.em
          .fork()
          .getConnection()
          .execute<{ count: string }[]>(`select count(*) from reservation where hotel_id = ? and status = 'PENDING'`, [hotel.id])
      )[0].count;
    // Killed once bookings went through and some sagas are waiting on the gateway.
    const until = async (done: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!(await done())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    await until(async () => answers.filter((a) => errorCode(a) === undefined).length >= 20 && Number(await pending()) >= 4, 'load');
    child!.kill('SIGKILL');
    const killedAt = Date.now();
    killed = true;
    await Promise.all(clients);
    await until(() => child!.signalCode === 'SIGKILL', 'the victim to die');
    expect(Number(await pending())).toBeGreaterThan(0);

    // Every hold the victim left ends within its deadline plus a sweep or two.
    await until(async () => Number(await pending()) === 0, 'the survivor to settle the holds', 15_000);
    expect(Date.now() - killedAt).toBeLessThan(HOLD_SECONDS * 1_000 + 4 * SWEEP_MS + 3_000);

    const reports = await auditInvariants(survivor.orm.em.fork(), { hotelIds: [hotel.id], staleBefore: new Date(Date.now() - SWEEP_MS) });
    expect(reports.flatMap((report) => report.violations)).toEqual([]);
    // Nothing the clients saw was a server error: answers, typed errors, or a cut connection when it died.
    expect(answers.filter((a) => a.status >= 500 || errorCode(a) === 'INTERNAL_SERVER_ERROR')).toEqual([]);
  }, 90_000);
});
