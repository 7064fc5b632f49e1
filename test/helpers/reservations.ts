import type { Orm } from '../../src/infra/database.js';
import { RESERVATION_FIELDS } from './booking.js';

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
