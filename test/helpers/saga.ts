import type { AppOptions } from '../../src/app/app.js';
import type { Config } from '../../src/infra/config.js';
import type { Orm } from '../../src/infra/database.js';
import { DEFAULT_BOOKING_SETTINGS, type SagaStep } from '../../src/services/booking/booking.deps.js';
import type { ManualClock } from './clock.js';
import { startTestServer, type TestServer } from './server.js';

/** What the booking tests read back from the database, beside what the API shows. */
export interface ReservationRow {
  id: string;
  principal: string;
  status: string;
  hold_expires_at: Date | string | null;
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

/** What the built-in test gateway recorded for one reservation (the reservation id is its idempotency key). */
export interface Charge {
  reservationId: string;
  status: 'succeeded' | 'declined';
  /** Minor units. */
  amount: number;
  refunded: number;
  refundedAt: string | null;
}

/** What the test gateway's ledger holds for the reservations of a room type, oldest reservation first. */
export async function chargesOf(orm: Orm, roomTypeId: string): Promise<Charge[]> {
  const rows = await orm.em.fork().execute<Charge[]>(
    `select c.idempotency_key as "reservationId", c.status, c.amount_minor::int as amount,
            c.refunded_minor::int as refunded, c.refunded_at::text as "refundedAt"
       from test_gateway_charge c join reservation r on c.idempotency_key = r.id::text
      where r.room_type_id = ? order by r.id`,
    [roomTypeId],
  );
  return rows.map((row) => ({ ...row, amount: Number(row.amount), refunded: Number(row.refunded) }));
}

/** Money the gateway took and kept for a room type's reservations, in minor units. */
export async function moneyKept(orm: Orm, roomTypeId: string): Promise<number> {
  const charges = await chargesOf(orm, roomTypeId);
  return charges.filter((c) => c.status === 'succeeded').reduce((sum, c) => sum + c.amount - c.refunded, 0);
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

/**
 * A second instance on the primary's database and hold engine that throws after the saga
 * step `crashAt()` names (a simulated crash), with its own idempotency lease and the
 * test's clock. Its stop() leaves the shared ORM open: stop the primary last.
 */
export async function startCrashingSibling(
  primary: TestServer,
  options: { clock: ManualClock; leaseMs: number; crashAt: () => SagaStep | undefined },
): Promise<TestServer> {
  const sibling = await startTestServer(
    { booking: primary.config.booking },
    {
      orm: primary.orm,
      venues: { engine: primary.app.holds },
      booking: {
        clock: options.clock,
        settings: { idempotency: { ...DEFAULT_BOOKING_SETTINGS.idempotency, leaseMs: options.leaseMs } },
        afterStep: (step) => {
          if (step === options.crashAt()) throw new Error(`simulated crash after ${step}`);
        },
      },
    },
  );
  return { ...sibling, stop: () => sibling.app.stop() };
}
