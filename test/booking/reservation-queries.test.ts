import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addDays } from '../../src/services/common/dates.js';
import {
  CANCEL,
  invariantViolations,
  reserveInput,
  reserveOk,
  stockedRoomType,
  type ReservationData,
  type StockedRoomType,
} from '../helpers/booking.js';
import { errorCode } from '../helpers/graphql.js';
import { allPages, HOTEL_RESERVATIONS, MY_RESERVATIONS, RESERVATION, type ReservationPage } from '../helpers/reservations.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** reservation(id), myReservations and hotelReservations: who sees what, in which order, page by page. */

let server: TestServer;
let admin: string;
let owner: string;
let otherGuest: string;
let staffA: string;
let staffB: string;
let a: StockedRoomType;
let b: StockedRoomType;
/** Everything booked in hotel A, oldest first. */
const bookedInA: ReservationData[] = [];

beforeAll(async () => {
  server = await startTestServer({ booking: { holdTtlMs: 600_000, paymentTimeoutMs: 2_000, sweepIntervalMs: 0 } });
  admin = await server.token({ sub: 'admin-rq', role: 'admin' });
  owner = await server.token({ sub: `guest-rq-${randomUUID()}`, role: 'guest' });
  otherGuest = await server.token({ sub: `guest-rq-${randomUUID()}`, role: 'guest' });
  a = await stockedRoomType(server.client, admin, { total: 10 });
  b = await stockedRoomType(server.client, admin, { total: 10 });
  staffA = await server.token({ sub: `staff-rq-${randomUUID()}`, role: 'staff', hotels: [a.hotel.id] });
  staffB = await server.token({ sub: `staff-rq-${randomUUID()}`, role: 'staff', hotels: [b.hotel.id] });
  // The owner books five one-night stays in A, one after another; another guest one in A and one in B.
  for (let i = 0; i < 5; i++) {
    bookedInA.push(await reserveOk(server.client, owner, reserveInput(a.roomType.id, addDays(a.from, i), addDays(a.from, i + 1))));
  }
  bookedInA.push(await reserveOk(server.client, otherGuest, reserveInput(a.roomType.id, a.from, addDays(a.from, 2))));
  await reserveOk(server.client, otherGuest, reserveInput(b.roomType.id, b.from, addDays(b.from, 1)));
});

afterAll(() => server.stop());

const readAs = (id: string, token?: string) =>
  server.client.request<{ reservation: ReservationData | null }>(RESERVATION, { id }, token);

async function myPage(token: string, first: number, after: string | null): Promise<ReservationPage> {
  return (await server.client.ok<{ myReservations: ReservationPage }>(MY_RESERVATIONS, { first, after }, token)).myReservations;
}

async function hotelPage(token: string, hotelId: string, vars: Record<string, unknown> = {}): Promise<ReservationPage> {
  const data = await server.client.ok<{ hotelReservations: ReservationPage }>(HOTEL_RESERVATIONS, { hotelId, ...vars }, token);
  return data.hotelReservations;
}

const ids = (page: ReservationPage) => page.edges.map((edge) => edge.node.id);

describe('reservation(id)', () => {
  it('is visible to its owner, staff of its hotel and admins, the same for all', async () => {
    const booked = bookedInA[0];
    for (const reader of [owner, staffA, admin]) {
      const result = await readAs(booked.id, reader);
      expect(result.errors).toBeUndefined();
      expect(result.data?.reservation).toEqual(booked);
    }
  });

  it('is NOT_FOUND for another guest and staff of another hotel, UNAUTHENTICATED without a token', async () => {
    const booked = bookedInA[0];
    expect(errorCode(await readAs(booked.id, otherGuest))).toBe('NOT_FOUND');
    expect(errorCode(await readAs(booked.id, staffB))).toBe('NOT_FOUND');
    expect(errorCode(await readAs(booked.id))).toBe('UNAUTHENTICATED');
  });

  it('is NOT_FOUND for an unknown id, even for an admin', async () => {
    expect(errorCode(await readAs(randomUUID(), admin))).toBe('NOT_FOUND');
    expect(errorCode(await readAs('not-a-reservation', admin))).toBe('NOT_FOUND');
  });
});

describe('myReservations', () => {
  it("pages through the caller's own reservations, newest first, without gaps or duplicates", async () => {
    const pages = await allPages((after) => myPage(owner, 2, after));
    expect(pages.map((page) => page.edges.length)).toEqual([2, 2, 1]);
    expect(pages.map((page) => page.pageInfo.hasNextPage)).toEqual([true, true, false]);
    const seen = pages.flatMap(ids);
    expect(seen).toEqual(bookedInA.slice(0, 5).map((r) => r.id).reverse());
    const created = pages.flatMap((page) => page.edges.map((edge) => Date.parse(edge.node.createdAt)));
    expect(created).toEqual([...created].sort((x, y) => y - x));
    expect(pages.at(-1)!.edges.at(-1)!.cursor).toBe(pages.at(-1)!.pageInfo.endCursor);
  });

  it("shows another guest only theirs, across hotels", async () => {
    const page = await myPage(otherGuest, 20, null);
    expect(page.edges.map((edge) => edge.node.hotel.id)).toEqual([b.hotel.id, a.hotel.id]);
    expect(page.pageInfo.hasNextPage).toBe(false);
  });

  it('needs a token', async () => {
    expect(errorCode(await server.client.request(MY_RESERVATIONS, { first: 2 }))).toBe('UNAUTHENTICATED');
  });
});

describe('hotelReservations', () => {
  it("shows staff of the hotel and admins all of the hotel's reservations, newest first, page by page", async () => {
    const expected = bookedInA.map((r) => r.id).reverse();
    for (const reader of [staffA, admin]) {
      expect(ids(await hotelPage(reader, a.hotel.id))).toEqual(expected);
      const pages = await allPages((after) => hotelPage(reader, a.hotel.id, { first: 4, after }));
      expect(pages.flatMap(ids)).toEqual(expected);
    }
  });

  it('filters by status', async () => {
    const cancelled = bookedInA[1];
    await server.client.ok(CANCEL, { input: { id: cancelled.id, idempotencyKey: `cancel-${randomUUID()}` } }, owner);
    expect(ids(await hotelPage(staffA, a.hotel.id, { status: 'REFUNDED' }))).toEqual([cancelled.id]);
    const confirmed = bookedInA.filter((r) => r.id !== cancelled.id).map((r) => r.id).reverse();
    expect(ids(await hotelPage(admin, a.hotel.id, { status: 'CONFIRMED' }))).toEqual(confirmed);
    expect(ids(await hotelPage(admin, a.hotel.id, { status: 'PENDING' }))).toEqual([]);
  });

  it('is FORBIDDEN to guests (even ones with reservations there) and staff of another hotel', async () => {
    for (const reader of [owner, otherGuest, staffB]) {
      expect(errorCode(await server.client.request(HOTEL_RESERVATIONS, { hotelId: a.hotel.id }, reader))).toBe('FORBIDDEN');
    }
    expect(errorCode(await server.client.request(HOTEL_RESERVATIONS, { hotelId: a.hotel.id }))).toBe('UNAUTHENTICATED');
  });

  it('is NOT_FOUND for an unknown hotel, for an admin', async () => {
    expect(errorCode(await server.client.request(HOTEL_RESERVATIONS, { hotelId: randomUUID() }, admin))).toBe('NOT_FOUND');
  });
});

describe('afterwards', () => {
  it('the invariants hold', async () => {
    expect(await invariantViolations(server.orm, [a.hotel.id, b.hotel.id])).toEqual([]);
  });
});
