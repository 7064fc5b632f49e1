import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Reservation, ReservationStatus } from '../../src/entities/booking/reservation.entity.js';
import { Hotel } from '../../src/entities/catalog/hotel.entity.js';
import { RoomType } from '../../src/entities/catalog/room-type.entity.js';
import { RoomTypeInventory } from '../../src/entities/stays/room-type-inventory.entity.js';
import { openDatabase, type Orm } from '../../src/infra/database.js';
import { addDays, todayIn } from '../../src/services/common/dates.js';
import { isolatedDatabase, openTestDatabase, testConfig } from '../helpers/server.js';

/**
 * `npm run audit` is the operators' check of the invariants: it reads the database the
 * server would use (DATABASE_URL, or the embedded one in DATA_DIR), prints each
 * invariant, and exits non-zero when one is broken.
 */
const root = path.resolve(import.meta.dirname, '../..');

let orm: Orm;
let env: NodeJS.ProcessEnv;
let cleanup: () => Promise<void>;
let reservation: Reservation;
let inventory: RoomTypeInventory;

beforeAll(async () => {
  const config = testConfig();
  if (config.databaseUrl) {
    const admin = await openTestDatabase(config, 2);
    const isolated = await isolatedDatabase(admin);
    orm = isolated.orm;
    env = { ...process.env, DATABASE_URL: databaseUrlOf(orm) };
    cleanup = async () => {
      await isolated.drop();
      await admin.close();
    };
  } else {
    // The embedded database allows one process at a time: the test writes, closes, then the command reads.
    const dataDir = mkdtempSync(path.join(tmpdir(), 'rs-audit-'));
    orm = await openTestDatabase({ ...config, dataDir });
    env = { ...process.env, DATA_DIR: dataDir };
    delete env.DATABASE_URL;
    cleanup = async () => rmSync(dataDir, { recursive: true, force: true });
  }
  // A sale the database contradicts: a CONFIRMED reservation of 1 room, never paid,
  // on a night that counts 2 reserved.
  const em = orm.em.fork();
  const hotel = em.create(Hotel, { name: 'Audit', city: 'Oslo', timezone: 'Europe/Oslo', currency: 'NOK' });
  const roomType = em.create(RoomType, { hotel, name: 'Single', maxOccupancy: 1 });
  const checkIn = addDays(todayIn('Europe/Oslo'), 3);
  inventory = em.create(RoomTypeInventory, { roomType, hotel, date: checkIn, total: 5, reserved: 2, sellLimit: 5 });
  reservation = em.create(Reservation, {
    hotel,
    roomType,
    principal: 'audit-guest',
    guestName: 'Ada',
    guestEmail: 'ada@example.com',
    checkIn,
    checkOut: addDays(checkIn, 1),
    rooms: 1,
    status: ReservationStatus.CONFIRMED,
    totalMinor: 10_000,
    currency: 'NOK',
  });
  await em.flush();
});

afterAll(async () => {
  if (orm) await orm.close().catch(() => undefined);
  await cleanup?.();
});

/** Runs `npm run audit` as an operator would; the embedded database is closed while it runs. */
async function audit(): Promise<{ code: number | null; output: string }> {
  if (!env.DATABASE_URL) await orm.close();
  const child = spawn(process.execPath, ['--import', '@swc-node/register/esm-register', 'src/scripts/audit.ts'], {
    cwd: root,
    env: { ...env, LOG_LEVEL: 'warn' },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (!env.DATABASE_URL) orm = await openDatabase({ dataDir: env.DATA_DIR! });
  return { code, output };
}

function databaseUrlOf(isolated: Orm): string {
  const url = new URL(testConfig().databaseUrl!);
  url.pathname = `/${isolated.config.get('dbName')}`;
  return url.toString();
}

it('names each broken invariant and exits 1', async () => {
  const { code, output } = await audit();
  expect(output).toMatch(/^VIOLATED 1\. .*$/m);
  expect(output).toContain(`inventory ${inventory.roomType.id} ${inventory.date}: reserved 2, held 1, limit 5`);
  expect(output).toMatch(/^ok {7}2\. /m);
  expect(output).toMatch(/^VIOLATED 3\. .*$/m);
  expect(output).toContain(`reservation ${reservation.id} CONFIRMED without a payment`);
  expect(output).toContain('2 invariant(s) violated');
  expect(code).toBe(1);
});

it('exits 0 once the data agrees with itself', async () => {
  const em = orm.em.fork();
  await em.nativeUpdate(RoomTypeInventory, { roomType: inventory.roomType.id, date: inventory.date }, { reserved: 1 });
  await em.nativeUpdate(
    Reservation,
    { id: reservation.id },
    { status: ReservationStatus.PENDING, holdExpiresAt: new Date(Date.now() + 3_600_000) },
  );
  const { code, output } = await audit();
  expect(output).toMatch(/^ok {7}1\. /m);
  expect(output).toMatch(/^ok {7}3\. /m);
  expect(output).toMatch(/^ok {7}4\. /m);
  expect(output).toContain('all invariants hold');
  expect(code).toBe(0);
});
