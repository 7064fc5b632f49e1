import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createHotel, createRoom, createRoomType, unique } from '../helpers/catalog.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(() => server.stop());

/** Catalog queries the server sends while running one operation. */
async function statementsFor(query: string, variables: Record<string, unknown>): Promise<string[]> {
  const seen: string[] = [];
  const connection = server.orm.em.getConnection();
  const original = connection.execute.bind(connection);
  connection.execute = ((sql: unknown, ...rest: unknown[]) => {
    const text = String(typeof sql === 'string' ? sql : ((sql as { sql?: string }).sql ?? sql));
    // Only the catalog's tables: the outbox relay polls on the same connection pool.
    if (/from "(hotel|room_type|room)"/.test(text)) seen.push(text);
    return (original as (...args: unknown[]) => unknown)(sql, ...rest);
  }) as typeof connection.execute;
  try {
    await server.client.ok(query, variables);
  } finally {
    connection.execute = original;
  }
  return seen;
}

it('nested catalog fields are batched: the number of queries does not grow with the data', async () => {
  const admin = await server.token({ sub: 'admin-n', role: 'admin' });
  const city = unique('City');
  const hotels = await Promise.all(Array.from({ length: 6 }, () => createHotel(server.client, admin, { city })));
  for (const hotel of hotels) {
    const types = await Promise.all([1, 2].map(() => createRoomType(server.client, admin, hotel.id)));
    for (const type of types) await Promise.all([1, 2].map(() => createRoom(server.client, admin, type.id)));
  }
  const query = `query($city: String, $first: Int) {
    hotels(city: $city, first: $first) { edges { node { id roomTypes { id hotel { id } rooms { id roomType { id hotel { name } } } } } } }
  }`;
  const few = await statementsFor(query, { city, first: 1 });
  const many = await statementsFor(query, { city, first: 6 });
  expect(few.length).toBeGreaterThan(0);
  expect(many.length).toBe(few.length);
});
