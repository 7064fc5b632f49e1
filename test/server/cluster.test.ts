import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient, type Client } from 'graphql-ws';
import pg from 'pg';
import WebSocket from 'ws';
import { signToken } from '../../src/infra/auth.js';
import { ConfigError, loadConfig, MAX_SERVER_PROCESSES } from '../../src/infra/config.js';
import { addDays } from '../../src/services/common/dates.js';
import { SET_INVENTORY, stockedRoomType } from '../helpers/booking.js';
import { GraphQLClient } from '../helpers/graphql.js';
import { AVAILABILITY_CHANGED, type Change } from '../helpers/live.js';

/**
 * SERVER_PROCESSES: the real entry point with two workers under node:cluster, on a fresh
 * PostgreSQL database (the first worker migrates it) and the shared Redis. Requests are
 * dealt to both workers; a worker killed with SIGKILL is replaced while the other keeps
 * answering; SIGTERM stops them all and the primary exits 0.
 */
const root = path.resolve(import.meta.dirname, '../..');
const SECRET = `cluster-test-${randomUUID()}`;

interface Running {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  stderr: string[];
  exited: Promise<number | null>;
}

function spawnServer(env: NodeJS.ProcessEnv): Running {
  const child = spawn(process.execPath, ['--import', '@swc-node/register/esm-register', 'src/main.ts'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const line of parts) if (line.trim()) lines.push(JSON.parse(line));
  });
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, lines, stderr, exited };
}

/** Polls `check` (a positive marker: a log line, an answer) until it yields a value. */
async function until<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** One request on a connection of its own (no keep-alive): the cluster deals each connection to a worker. */
function request(
  port: number,
  pathname: string,
  options: { body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: pathname,
        method: options.body === undefined ? 'GET' : 'POST',
        agent: false,
        headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

async function readyPid(port: number): Promise<number> {
  const { status, body } = await request(port, '/readyz');
  expect(status).toBe(200);
  const ready = JSON.parse(body) as { status: string; pid: number };
  expect(ready.status).toBe('ready');
  return ready.pid;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('SERVER_PROCESSES configuration', () => {
  const shared = { DATABASE_URL: 'postgres://db.example/app', REDIS_URL: 'redis://redis.example:6379' };

  it('defaults to one process; takes a number or auto (one per core)', () => {
    expect(loadConfig({}).serverProcesses).toBe(1);
    expect(loadConfig({ SERVER_PROCESSES: '1' }).serverProcesses).toBe(1);
    expect(loadConfig({ ...shared, SERVER_PROCESSES: '3' }).serverProcesses).toBe(3);
    expect(loadConfig({ ...shared, SERVER_PROCESSES: ' AUTO ' }).serverProcesses).toBe(availableParallelism());
  });

  it('refuses what is not a process count', () => {
    for (const value of ['0', '-1', '1.5', 'two', String(MAX_SERVER_PROCESSES + 1)]) {
      expect(() => loadConfig({ ...shared, SERVER_PROCESSES: value })).toThrow(ConfigError);
    }
  });

  it('refuses several processes without PostgreSQL or without Redis', () => {
    expect(() => loadConfig({ REDIS_URL: shared.REDIS_URL, SERVER_PROCESSES: '2' })).toThrow(/needs DATABASE_URL/);
    expect(() => loadConfig({ DATABASE_URL: shared.DATABASE_URL, SERVER_PROCESSES: '2' })).toThrow(/needs REDIS_URL/);
  });

  it('the server started with SERVER_PROCESSES=2 and no DATABASE_URL exits with the configuration error', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', SERVER_PROCESSES: '2', REDIS_URL: 'redis://127.0.0.1:6379' };
    delete env.DATABASE_URL;
    const server = spawnServer(env);
    expect(await server.exited).toBe(2);
    expect(server.stderr.join('')).toMatch(/^Configuration error: SERVER_PROCESSES=2 .*needs DATABASE_URL/);
    expect(server.lines).toEqual([]);
  });
});

const databaseUrl = process.env.DATABASE_URL;
const redisUrl = process.env.REDIS_URL;
const withServers = databaseUrl && redisUrl ? describe : describe.skip;

withServers('SERVER_PROCESSES=2 on PostgreSQL and Redis', () => {
  const name = `rs_cluster_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  let admin: pg.Client;
  let server: Running;
  let url: string;
  let port: number;
  let workers: number[];

  const linesWith = (msg: string) => server.lines.filter((line) => line.msg === msg);

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`create database "${name}"`);
    const fresh = new URL(databaseUrl!);
    fresh.pathname = `/${name}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'test',
      DATABASE_URL: fresh.toString(),
      REDIS_URL: redisUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      JWT_SECRET: SECRET,
      SERVER_PROCESSES: '2',
      RATE_LIMIT_KEY_PREFIX: `rate-limit-test-${randomUUID()}`,
    };
    delete env.JWKS_URL;
    server = spawnServer(env);
    const failed = server.exited.then((code) => {
      throw new Error(`the server exited with ${code} before it was ready:\n${server.stderr.join('')}`);
    });
    url = await Promise.race([
      until(() => server.lines.find((line) => typeof line.url === 'string')?.url as string | undefined, 'server ready', 100_000),
      failed,
    ]);
    port = Number(new URL(url).port);
  }, 120_000);

  afterAll(async () => {
    // Workers exit on their own when their primary is gone.
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    await admin?.query(`drop database if exists "${name}" with (force)`);
    await admin?.end();
  }, 60_000);

  it('announces the server once, after both workers are ready, and both workers answer', async () => {
    const announcements = server.lines.filter((line) => typeof line.url === 'string');
    expect(announcements).toHaveLength(1);
    expect(announcements[0]).toMatchObject({ level: 'info', url, processes: 2, msg: `server ready at ${url}` });
    expect(server.lines.filter((line) => String(line.msg).includes(url))).toHaveLength(1);
    // Every process writes the one pipe asynchronously, so a worker's line may arrive after
    // the primary's: wait for both, and order them by when each was logged (`time`).
    await until(() => (linesWith('worker ready').length === 2 ? true : undefined), 'both workers ready lines', 10_000);
    const ready = linesWith('worker ready');
    workers = ready.map((line) => line.pid as number);
    expect(new Set(workers).size).toBe(2);
    expect(workers).not.toContain(server.child.pid);
    expect(ready.every((line) => line.port === port)).toBe(true);
    // The first worker applied the migrations of the fresh database, alone.
    expect(linesWith('applied migrations')).toHaveLength(1);
    const loggedAt = (line: Record<string, unknown>) => Date.parse(String(line.time));
    expect(loggedAt(announcements[0])).toBeGreaterThanOrEqual(Math.max(...ready.map(loggedAt)));

    const answered = new Set<number>();
    await until(async () => (answered.add(await readyPid(port)).size === 2 ? true : undefined), 'both workers answering', 20_000);
    expect([...answered].sort()).toEqual([...workers].sort());

    for (let i = 0; i < 4; i++) {
      const { status, body } = await request(port, '/graphql', { body: JSON.stringify({ query: '{ hotels(first: 1) { pageInfo { hasNextPage } } }' }) });
      expect(status).toBe(200);
      expect(JSON.parse(body).errors).toBeUndefined();
    }
  });

  it('a subscriber on one worker receives the changes written through either', async () => {
    const token = await signToken(SECRET, { sub: 'cluster-admin', role: 'admin' });
    const { hotel, roomType, from } = await stockedRoomType(new GraphQLClient(url), token, { total: 10, nights: 1 });
    const changes: Change[] = [];
    const errors: unknown[] = [];
    const client: Client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    const unsubscribe = client.subscribe<{ availabilityChanged: Change }>(
      { query: AVAILABILITY_CHANGED, variables: { hotelId: hotel.id } },
      {
        next: (result) => {
          if (result.data) changes.push(result.data.availabilityChanged);
        },
        error: (error) => errors.push(error),
        complete: () => undefined,
      },
    );
    let total = 10;
    // Each change on a connection of its own: the cluster deals them to both workers.
    const setTotal = async (value: number) => {
      const response = await request(port, '/graphql', {
        body: JSON.stringify({
          query: SET_INVENTORY,
          variables: { input: { roomTypeId: roomType.id, from, to: addDays(from, 1), total: value } },
        }),
        headers: { authorization: `Bearer ${token}` },
      });
      expect(JSON.parse(response.body).errors).toBeUndefined();
    };
    const seen = (value: number) => changes.some((change) => change.days.some((day) => day.total === value));
    try {
      // The subscription is in place once a change reaches it.
      await until(async () => {
        if (changes.length > 0 || errors.length > 0) return true;
        await setTotal(++total);
        return undefined;
      }, 'the subscription in place', 20_000);
      expect(errors).toEqual([]);
      const next = [total + 1, total + 2, total + 3, total + 4];
      for (const value of next) await setTotal(value);
      await until(() => (next.every(seen) ? true : undefined), 'the four changes', 20_000);
      expect(errors).toEqual([]);
      expect(new Set(changes.map((change) => change.eventId)).size).toBe(changes.length);
    } finally {
      unsubscribe();
      await client.dispose();
    }
  });

  it('a worker killed with SIGKILL is replaced while the other keeps answering', async () => {
    const [victim, survivor] = workers;
    process.kill(victim, 'SIGKILL');
    const died = await until(
      () => linesWith('worker died: forking a replacement').find((line) => line.pid === victim),
      'the primary noticing the death',
    );
    expect(died).toMatchObject({ level: 'warn', signal: 'SIGKILL' });
    // Every request is answered, by the survivor until the replacement is up, then by both.
    const answered = new Set<number>();
    const replacement = await until(async () => {
      const pid = await readyPid(port);
      answered.add(pid);
      return pid !== survivor ? pid : undefined;
    }, 'the replacement answering');
    expect(replacement).not.toBe(victim);
    expect(answered.has(victim)).toBe(false);
    expect(alive(victim)).toBe(false);
    expect(linesWith('worker replaced').map((line) => line.pid)).toEqual([replacement]);
    const replaced = linesWith('worker ready').find((line) => line.pid === replacement);
    expect(replaced?.port).toBe(port);
    workers = [survivor, replacement];
  }, 90_000);

  it('SIGTERM stops every worker gracefully and the primary exits 0', async () => {
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(linesWith('shutdown complete').map((line) => line.pid).sort()).toEqual(expect.arrayContaining([...workers].sort()));
    expect(linesWith('all workers stopped')).toEqual([expect.objectContaining({ failed: false })]);
    for (const pid of workers) expect(alive(pid)).toBe(false);
  }, 60_000);
});
