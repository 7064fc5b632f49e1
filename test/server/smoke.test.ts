import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { signToken } from '../../src/infra/auth.js';
import { DEV_JWT_SECRET } from '../../src/infra/config.js';
import { CREATE_HOTEL, hotelInput } from '../helpers/catalog.js';
import { GraphQLClient } from '../helpers/graphql.js';

/**
 * The server as a user starts it: the real entry point, with no DATABASE_URL, on
 * embedded PostgreSQL persisted in DATA_DIR, stopped with SIGTERM and started again.
 */
interface Running {
  child: ChildProcess;
  url: string;
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

const root = path.resolve(import.meta.dirname, '../..');
const dataDir = mkdtempSync(path.join(tmpdir(), 'reservation-smoke-'));

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function start(): Promise<Running> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info' };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET', 'JWKS_URL', 'NODE_ENV']) delete env[name];
  const child = spawn(process.execPath, ['--import', '@swc-node/register/esm-register', 'src/main.ts'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Record<string, unknown>[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start within 45 s')), 45_000);
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      for (const line of parts) {
        const record = JSON.parse(line);
        lines.push(record);
        if (typeof record.url === 'string') {
          clearTimeout(timer);
          resolve(record.url);
        }
      }
    });
    void exited.then((code) => reject(new Error(`server exited with ${code} before it was ready`)));
  });
  return { child, url, lines, exited };
}

async function stop(server: Running): Promise<number | null> {
  server.child.kill('SIGTERM');
  return server.exited;
}

describe('npm start on the embedded database', () => {
  it('starts, serves, shuts down on SIGTERM, and keeps its data across restarts', async () => {
    const first = await start();
    expect(first.url).toMatch(/^http:\/\/localhost:\d+\/graphql$/);
    expect(first.lines.filter((line) => String(line.msg).includes(first.url))).toHaveLength(1);
    expect(first.lines.some((line) => line.msg === 'applied migrations')).toBe(true);
    expect(first.lines.some((line) => line.level === 'warn' && String(line.msg).includes('JWT_SECRET'))).toBe(true);

    const health = await fetch(new URL('/readyz', first.url));
    expect(await health.json()).toEqual({ status: 'ready', database: 'up' });

    const admin = await signToken(DEV_JWT_SECRET, { sub: 'smoke-admin', role: 'admin' });
    const input = hotelInput();
    const { createHotel } = await new GraphQLClient(first.url).ok(CREATE_HOTEL, { input }, admin);

    expect(await stop(first)).toBe(0);
    expect(first.lines.some((line) => line.msg === 'shutdown complete')).toBe(true);

    const second = await start();
    try {
      expect(second.lines.some((line) => line.msg === 'applied migrations')).toBe(false);
      const { hotel } = await new GraphQLClient(second.url).ok('query($id: ID!) { hotel(id: $id) { name city } }', {
        id: createHotel.id,
      });
      expect(hotel).toEqual({ name: input.name, city: input.city });
    } finally {
      expect(await stop(second)).toBe(0);
    }
  });
});
