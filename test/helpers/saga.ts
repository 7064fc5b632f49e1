import type { AppOptions } from '../../src/app/app.js';
import type { Config } from '../../src/infra/config.js';
import type { Orm } from '../../src/infra/database.js';
import { startTestServer, type TestServer } from './server.js';

/** What the booking tests read back from the database, beside what the API shows. */
export interface ReservationRow {
  id: string;
  principal: string;
  status: string;
  hold_expires_at: Date | string | null;
}

export interface ChargeRow {
  idempotency_key: string;
  status: 'succeeded' | 'declined';
  amount_minor: number;
  refunded_minor: number;
}

/** The reservations of a room type, oldest first. */
export function reservationsOf(orm: Orm, roomTypeId: string): Promise<ReservationRow[]> {
  return orm.em.fork().execute<ReservationRow[]>(
    'select id, principal, status, hold_expires_at from reservation where room_type_id = ? order by id',
    [roomTypeId],
  );
}

/** The reservations of a hotel, oldest first. */
export function reservationsOfHotel(orm: Orm, hotelId: string): Promise<ReservationRow[]> {
  return orm.em.fork().execute<ReservationRow[]>(
    'select id, principal, status, hold_expires_at from reservation where hotel_id = ? order by id',
    [hotelId],
  );
}

/** What the test gateway's ledger holds for the reservations of a room type. */
export async function chargesOf(orm: Orm, roomTypeId: string): Promise<ChargeRow[]> {
  const rows = await orm.em.fork().execute<ChargeRow[]>(
    `select c.idempotency_key, c.status, c.amount_minor, c.refunded_minor
       from test_gateway_charge c join reservation r on c.idempotency_key = r.id::text
      where r.room_type_id = ? order by r.id`,
    [roomTypeId],
  );
  return rows.map((row) => ({ ...row, amount_minor: Number(row.amount_minor), refunded_minor: Number(row.refunded_minor) }));
}

/** Money the gateway took and kept for a room type's reservations, in minor units. */
export async function moneyKept(orm: Orm, roomTypeId: string): Promise<number> {
  const charges = await chargesOf(orm, roomTypeId);
  return charges.filter((c) => c.status === 'succeeded').reduce((sum, c) => sum + c.amount_minor - c.refunded_minor, 0);
}

/** `reserved` of each night of a room type, in date order. */
export async function reservedNights(orm: Orm, roomTypeId: string): Promise<number[]> {
  const rows = await orm.em.fork().execute<{ reserved: number }[]>(
    'select reserved from room_type_inventory where room_type_id = ? order by date',
    [roomTypeId],
  );
  return rows.map((row) => Number(row.reserved));
}

/** A promise opened from outside: lets a test park a request inside the saga and let it go. */
export interface Gate {
  opened: Promise<void>;
  open(): void;
}

export function gate(): Gate {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

export const times = <T>(count: number, run: (i: number) => Promise<T>): Promise<T[]> =>
  Promise.all(Array.from({ length: count }, (_, i) => run(i)));

/**
 * Another server instance on the database of `primary` (the same ORM, so on PGlite
 * the same in-memory database too), with its own saga settings and fault injection.
 * Its stop() leaves the shared ORM open: stop the primary last.
 */
export async function startSibling(
  primary: TestServer,
  booking: AppOptions['booking'],
  overrides: Partial<Config> = {},
): Promise<TestServer> {
  const sibling = await startTestServer({ booking: primary.config.booking, ...overrides }, { orm: primary.orm, booking });
  return { ...sibling, stop: () => sibling.app.stop() };
}
