import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { Redis } from 'ioredis';
import pg from 'pg';
import { ReservationStatus } from '../src/entities/booking/reservation.entity.js';
import { RedisHoldEngine } from '../src/infra/venues/redis-hold-engine.js';
import { reservationInsert } from '../src/services/booking/booking.store.js';
import { formatAmount } from '../src/services/common/money.js';
import { toPg } from '../src/services/common/sql.js';
import { offersOf } from '../src/services/stays/search.service.js';
import { validateStayShape } from '../src/services/stays/stay.validation.js';
import { hotelStaysOf, hotelStaysStatement } from '../src/services/stays/stays.store.js';
import type { HoldEngine, HoldRequest, HoldResult, LoadSnapshot, SeatRef } from '../src/services/venues/holds/hold-engine.js';
import { newHoldToken } from '../src/services/venues/holds/hold-token.js';
import { percentiles, type LoadResult } from './load.js';

export interface Stay {
  hotelId: string;
  roomTypeId: string;
  checkIn: string;
  checkOut: string;
  nights: number;
}

/**
 * The raw-database ceiling of a booking: what reserve does in the database, and
 * nothing else, over `pg` with as many connections as the server's pool, driven by
 * `clients` concurrent loops (the load generator's clients). One transaction: a
 * conditional UPDATE of the nights (all must have room) and the INSERT of the
 * reservation. No GraphQL, no ORM, no payment, no idempotency key, no outbox.
 */
export async function rawReserve(
  databaseUrl: string,
  connections: number,
  clients: number,
  durationMs: number,
  nextStay: (client: number) => Stay,
): Promise<LoadResult> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: connections });
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  const started = performance.now();
  const deadline = started + durationMs;
  const client = async (id: number) => {
    while (performance.now() < deadline) {
      const stay = nextStay(id);
      const sent = performance.now();
      let outcome = 'ok';
      const db = await pool.connect();
      try {
        try {
          await db.query('begin');
          const held = await db.query(
            // The rows are locked in date order, as the server does, so concurrent stays cannot deadlock.
            `update room_type_inventory set reserved = reserved + 1, version = version + 1
              where (room_type_id, date) in (
                select room_type_id, date from room_type_inventory
                 where room_type_id = $1 and date >= $2 and date < $3 and reserved + 1 <= sell_limit
                 order by date for update)`,
            [stay.roomTypeId, stay.checkIn, stay.checkOut],
          );
          if (held.rowCount !== stay.nights) {
            outcome = 'SOLD_OUT';
            await db.query('rollback');
          } else {
            // The server's own INSERT (PENDING with a long hold: consistent with the invariants,
            // which the bench checks after the run).
            const now = new Date();
            await db.query(
              toPg(
                reservationInsert({
                  id: randomUUID(),
                  hotelId: stay.hotelId,
                  roomTypeId: stay.roomTypeId,
                  principal: 'raw',
                  guest: { name: 'Raw', email: 'raw@example.com' },
                  checkIn: stay.checkIn,
                  checkOut: stay.checkOut,
                  rooms: 1,
                  status: ReservationStatus.PENDING,
                  totalMinor: 0,
                  currency: 'EUR',
                  holdExpiresAt: new Date(now.getTime() + 86_400_000),
                  createdAt: now,
                }),
              ),
            );
            await db.query('commit');
          }
        } catch (error) {
          outcome = `error: ${(error as Error).message}`;
          await db.query('rollback').catch(() => undefined);
        }
      } finally {
        db.release();
      }
      latencies.push(performance.now() - sent);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: clients }, (_, i) => client(i)));
  const seconds = (performance.now() - started) / 1000;
  await pool.end();
  return { requests: latencies.length, seconds, throughput: latencies.length / seconds, latencyMs: percentiles(latencies), outcomes };
}

/**
 * The search ceiling: the same read as searchAvailability with nothing else, a bare
 * node:http handler in this process over plain `pg` (as many connections as the
 * server's pool) that runs the server's very statement (hotelStaysStatement, with bind
 * parameters, prepared) and the server's pure offer computation (offersOf), and answers the
 * fields the bench asks for. No GraphQL, no ORM, no validation beyond the stay's shape,
 * no auth, no rate budget.
 */
export async function bareSearchServer(databaseUrl: string, connections: number): Promise<{ origin: string; close(): Promise<void> }> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: connections });
  const search = async (variables: { h: string; in: string; out: string }) => {
    const stay = validateStayShape({ checkIn: variables.in, checkOut: variables.out });
    // Prepared, as the server runs it: PostgreSQL keeps the plan per connection.
    const statement = { name: 'bench.search', ...toPg(hotelStaysStatement(variables.h, stay.checkIn, stay.checkOut)) };
    const stored = hotelStaysOf((await pool.query(statement)).rows);
    const offers = stored ? offersOf(stored, stay) : [];
    return offers.map((offer) => ({ available: offer.available, total: { amount: formatAmount(offer.totalMinor, offer.currency) } }));
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const { variables } = JSON.parse(Buffer.concat(chunks).toString()) as { variables: { h: string; in: string; out: string } };
      search(variables).then(
        (offers) => {
          const body = JSON.stringify({ data: { searchAvailability: offers } });
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
          res.end(body);
        },
        (error: unknown) => {
          const body = JSON.stringify({ errors: [{ message: (error as Error).message }] });
          res.writeHead(500, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
          res.end(body);
        },
      );
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    origin: `http://127.0.0.1:${port}`,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      await pool.end();
    },
  };
}

/** The HTTP ceiling: a bare node:http JSON endpoint, in this process, under the same load generator. */
export async function bareHttpServer(): Promise<{ origin: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const body = '{"data":{"ok":true}}';
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/**
 * The ceiling of a hold: the hold engine's Lua script called straight from ioredis
 * (RedisHoldEngine in this process, one connection, as the server has), `clients` calls
 * in flight at once in closed loops, on an offering of its own loaded from `snapshot`
 * (dropped after). Each loop makes a hold as the server would (a new token, 10 minutes)
 * through `hold`, and releases half of its holds at once and the other half once its
 * next hold has answered, as the bench's clients do. No HTTP, no GraphQL, no
 * PostgreSQL, no JWT.
 */
export async function luaHolds(options: {
  redisUrl: string;
  clients: number;
  durationMs: number;
  snapshot?: LoadSnapshot;
  hold: (engine: HoldEngine, offeringId: string, request: HoldRequest) => Promise<HoldResult>;
}): Promise<LoadResult> {
  const redis = new Redis(options.redisUrl);
  const engine = new RedisHoldEngine(redis);
  const offeringId = randomUUID();
  await engine.load(offeringId, options.snapshot ?? { sold: [], pending: [], blocked: [] });
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  const started = performance.now();
  const deadline = started + options.durationMs;
  const client = async (id: number) => {
    const owner = `ceiling-${id}`;
    let kept: string | undefined;
    while (performance.now() < deadline) {
      const token = newHoldToken(offeringId);
      const now = Date.now();
      const sent = performance.now();
      let outcome: string;
      try {
        const request = { token, owner, now, expiresAt: now + 10 * 60_000, existing: false, maxSeats: 2_000 };
        const result = await options.hold(engine, offeringId, request);
        outcome = result.ok ? 'ok' : result.reason === 'unavailable' ? 'SOLD_OUT' : result.reason;
      } catch (error) {
        outcome = `error: ${(error as Error).message}`;
      }
      latencies.push(performance.now() - sent);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      const previous = kept;
      kept = undefined;
      if (outcome === 'ok') {
        if (Math.random() < 0.5) await engine.release(offeringId, token, owner, Date.now());
        else kept = token;
      }
      if (previous !== undefined) await engine.release(offeringId, previous, owner, Date.now());
    }
    if (kept !== undefined) await engine.release(offeringId, kept, owner, Date.now());
  };
  let seconds: number;
  try {
    await Promise.all(Array.from({ length: options.clients }, (_, i) => client(i)));
    seconds = (performance.now() - started) / 1000;
  } finally {
    await engine.drop(offeringId);
    redis.disconnect();
  }
  return { requests: latencies.length, seconds, throughput: latencies.length / seconds, latencyMs: percentiles(latencies), outcomes };
}

/** The ceiling of a seat hold: holdSeats of `pick()` seats (at most 10 per hold, as the server allows). */
export function luaSeatHolds(options: { redisUrl: string; clients: number; durationMs: number; pick: () => SeatRef[] }): Promise<LoadResult> {
  return luaHolds({ ...options, hold: (engine, id, request) => engine.holdSeats(id, { ...request, maxSeats: 10, seats: options.pick() }) });
}
