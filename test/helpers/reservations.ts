import type { Orm } from '../../src/infra/database.js';
import { INVENTORY, RESERVATION_FIELDS, RESERVE, type ReservationData } from './booking.js';
import type { GraphQLClient } from './graphql.js';

export const RESERVATION = `query($id: ID!) { reservation(id: $id) { ${RESERVATION_FIELDS} } }`;
const CONNECTION = 'edges { cursor node { id status createdAt hotel { id } } } pageInfo { hasNextPage endCursor }';
export const MY_RESERVATIONS = `query($first: Int, $after: String) { myReservations(first: $first, after: $after) { ${CONNECTION} } }`;
export const HOTEL_RESERVATIONS = `query($hotelId: ID!, $first: Int, $after: String, $status: ReservationStatus) {
  hotelReservations(hotelId: $hotelId, first: $first, after: $after, status: $status) { ${CONNECTION} }
}`;

export interface ReservationNode {
  id: string;
  status: string;
  createdAt: string;
  hotel: { id: string };
}

export interface ReservationPage {
  edges: { cursor: string; node: ReservationNode }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Reserves through the API and returns the reservation; fails the test on any error. */
export async function reserveOk(client: GraphQLClient, token: string, input: Record<string, unknown>): Promise<ReservationData> {
  return (await client.ok<{ reserve: ReservationData }>(RESERVE, { input }, token)).reserve;
}

/** The `reserved` count of each night of [from, to), as the API shows it. */
export async function reservedCounts(client: GraphQLClient, roomTypeId: string, from: string, to: string): Promise<number[]> {
  const data = await client.ok<{ roomType: { inventory: { reserved: number }[] } }>(INVENTORY, { id: roomTypeId, from, to });
  return data.roomType.inventory.map((night) => night.reserved);
}

export interface Charge {
  status: string;
  amount: number;
  refunded: number;
  refundedAt: string | null;
}

/** What the built-in test gateway recorded for a reservation (its id is the gateway's idempotency key). */
export async function chargeOf(orm: Orm, reservationId: string): Promise<Charge | undefined> {
  const [row] = await orm.em.fork().execute<Charge[]>(
    `select status, amount_minor::int as amount, refunded_minor::int as refunded, refunded_at::text as "refundedAt"
       from test_gateway_charge where idempotency_key = ?`,
    [reservationId],
  );
  return row;
}

/** How many reservation rows the hotel has, whatever their status. */
export async function reservationCount(orm: Orm, hotelId: string): Promise<number> {
  const [row] = await orm.em.fork().execute<{ n: number }[]>('select count(*)::int as n from reservation where hotel_id = ?', [hotelId]);
  return row.n;
}

/** Walks a connection page by page with `first`, returning every page. */
export async function allPages(
  fetchPage: (after: string | null) => Promise<ReservationPage>,
): Promise<ReservationPage[]> {
  const pages: ReservationPage[] = [];
  let after: string | null = null;
  for (;;) {
    const page = await fetchPage(after);
    pages.push(page);
    if (!page.pageInfo.hasNextPage || pages.length > 50) return pages;
    after = page.pageInfo.endCursor;
  }
}

/** Decimal amount ("150.00") to minor units, for two-decimal currencies. */
export const minor = (amount: string): number => Math.round(Number(amount) * 100);
