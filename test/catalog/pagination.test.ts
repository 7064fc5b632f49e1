import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHotel, unique, type HotelData } from '../helpers/catalog.js';
import { errorCode } from '../helpers/graphql.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const HOTELS = `query($first: Int, $after: String, $city: String) {
  hotels(first: $first, after: $after, city: $city) {
    edges { cursor node { id name city } }
    pageInfo { hasNextPage endCursor }
  }
}`;
/** The same query with `first` left out, so the server's default applies. */
const HOTELS_DEFAULT_SIZE = `query($city: String) {
  hotels(city: $city) { edges { node { id } } pageInfo { hasNextPage endCursor } }
}`;

interface Connection {
  edges: { cursor: string; node: { id: string; name: string; city: string } }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const TOTAL = 25;
const BATCH = 5;

let server: TestServer;
let city: string;
/** The hotels in the order they were created: batch by batch, each batch created concurrently. */
let batches: HotelData[][];
let elsewhere: HotelData[];

beforeAll(async () => {
  server = await startTestServer();
  const admin = await server.token({ sub: 'admin-p', role: 'admin' });
  city = unique('City');
  batches = [];
  for (let made = 0; made < TOTAL; made += BATCH) {
    batches.push(await Promise.all(Array.from({ length: BATCH }, () => createHotel(server.client, admin, { city }))));
  }
  // Another city's hotels, which the filter must leave out.
  elsewhere = await Promise.all([1, 2, 3].map(() => createHotel(server.client, admin, { city: unique('Elsewhere') })));
});

afterAll(() => server.stop());

async function page(variables: Record<string, unknown>): Promise<Connection> {
  return (await server.client.ok<{ hotels: Connection }>(HOTELS, variables)).hotels;
}

/** Follows endCursor until hasNextPage is false; returns every page. */
async function allPages(first: number): Promise<Connection[]> {
  const pages: Connection[] = [];
  let after: string | null = null;
  do {
    const next = await page({ city, first, after });
    pages.push(next);
    after = next.pageInfo.endCursor;
    if (!next.pageInfo.hasNextPage) break;
  } while (pages.length < 10);
  return pages;
}

const ids = (connection: Connection) => connection.edges.map((edge) => edge.node.id);

describe('paging through one city', () => {
  it('gives pages of 10, 10 and 5, with hasNextPage true, true, false', async () => {
    const pages = await allPages(10);
    expect(pages.map((p) => p.edges.length)).toEqual([10, 10, 5]);
    expect(pages.map((p) => p.pageInfo.hasNextPage)).toEqual([true, true, false]);
    for (const p of pages) {
      expect(p.pageInfo.endCursor).not.toBeNull();
      expect(p.pageInfo.endCursor).toBe(p.edges.at(-1)!.cursor);
    }
  });

  it('repeats and misses no hotel, in creation order, the same on every read', async () => {
    const seen = (await allPages(10)).flatMap(ids);
    const created = batches.flat().map((hotel) => hotel.id);
    expect(new Set(seen).size).toBe(TOTAL);
    expect([...seen].sort()).toEqual([...created].sort());

    // Batches were created one after another, so every hotel of a batch comes before the next batch's.
    const batchOf = new Map(batches.flatMap((batch, i) => batch.map((hotel) => [hotel.id, i] as const)));
    const order = seen.map((id) => batchOf.get(id)!);
    expect(order).toEqual([...order].sort((a, b) => a - b));

    // Stable: another walk, with another page size, sees the same sequence.
    expect((await allPages(7)).flatMap(ids)).toEqual(seen);
    expect(ids(await page({ city, first: 100 }))).toEqual(seen);
  });

  it('answers an empty last page after the final cursor', async () => {
    const [last] = (await allPages(TOTAL)).slice(-1);
    expect(last.pageInfo.hasNextPage).toBe(false);
    const after = await page({ city, first: 10, after: last.pageInfo.endCursor });
    expect(after).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  it('gives 20 hotels when first is left out', async () => {
    const { hotels } = await server.client.ok<{ hotels: Connection }>(HOTELS_DEFAULT_SIZE, { city });
    expect(hotels.edges).toHaveLength(20);
    expect(hotels.pageInfo.hasNextPage).toBe(true);
  });
});

describe('the city filter', () => {
  it("returns only that city's hotels", async () => {
    const all = await page({ city, first: 100 });
    expect(all.edges).toHaveLength(TOTAL);
    expect(all.edges.every((edge) => edge.node.city === city)).toBe(true);
    expect(all.pageInfo.hasNextPage).toBe(false);
    const other = await page({ city: elsewhere[0].city, first: 100 });
    expect(other.edges.map((edge) => edge.node)).toEqual([{ id: elsewhere[0].id, name: elsewhere[0].name, city: elsewhere[0].city }]);
  });

  it('returns no edges and no next page for a city with no hotels', async () => {
    expect(await page({ city: unique('Nowhere'), first: 10 })).toEqual({
      edges: [],
      pageInfo: { hasNextPage: false, endCursor: null },
    });
  });
});

describe('bad page arguments are BAD_USER_INPUT', () => {
  it.each([0, -1, 101])('first: %d', async (first) => {
    expect(errorCode(await server.client.request(HOTELS, { city, first }))).toBe('BAD_USER_INPUT');
  });

  it.each([
    ['garbage', 'xyz'],
    ['an empty string', ''],
    ['base64 of something that is not an id', Buffer.from('not-an-id').toString('base64url')],
    ['base64 of a number', Buffer.from('12345').toString('base64')],
  ])('after: %s', async (_label, after) => {
    expect(errorCode(await server.client.request(HOTELS, { city, first: 10, after }))).toBe('BAD_USER_INPUT');
  });

  it('after: a real cursor with junk appended', async () => {
    const after = `${(await page({ city, first: 1 })).pageInfo.endCursor}!!`;
    expect(errorCode(await server.client.request(HOTELS, { city, first: 10, after }))).toBe('BAD_USER_INPUT');
  });
});
