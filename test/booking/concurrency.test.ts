import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Hotel } from '../../src/entities/catalog/hotel.entity.js';
import { Room } from '../../src/entities/catalog/room.entity.js';
import { RoomType } from '../../src/entities/catalog/room-type.entity.js';
import {
  createHotel,
  createRoom,
  createRoomType,
  CREATE_ROOM,
  DELETE_HOTEL,
  UPDATE_HOTEL,
  UPDATE_ROOM,
  UPDATE_ROOM_TYPE,
} from '../helpers/catalog.js';
import { errorCode, type GraphQLResult } from '../helpers/graphql.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Many real connections at once (on PostgreSQL: one pool connection each). Every
 * writer read the same version; exactly one may win.
 */
const WRITERS = 20;

let server: TestServer;
let admin: string;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.token({ sub: 'admin-c', role: 'admin' });
});

afterAll(() => server.stop());

function all<T>(count: number, run: (i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => run(i)));
}

function split(results: GraphQLResult[]) {
  return {
    winners: results.filter((r) => !r.errors),
    codes: results.filter((r) => r.errors).map(errorCode),
  };
}

/** Exactly one result succeeded and every other failed with `loserCode`: the winner's data. */
function oneWinner(results: GraphQLResult[], loserCode: string): Record<string, any> {
  const { winners, codes } = split(results);
  expect(winners).toHaveLength(1);
  expect(codes).toEqual(Array(results.length - 1).fill(loserCode));
  return winners[0].data!;
}

describe(`${WRITERS} concurrent writers with the same version`, () => {
  it('update a hotel: exactly one wins, the rest get VERSION_CONFLICT', async () => {
    const hotel = await createHotel(server.client, admin);
    const results = await all(WRITERS, (i) =>
      server.client.request(UPDATE_HOTEL, { input: { id: hotel.id, version: 1, name: `Writer ${i}` } }, admin),
    );
    const winner = oneWinner(results, 'VERSION_CONFLICT');

    const stored = await server.orm.em.fork().findOneOrFail(Hotel, hotel.id);
    expect(stored.version).toBe(2);
    expect(stored.name).toBe(winner.updateHotel.name);
  });

  it('update a room type: exactly one wins', async () => {
    const hotel = await createHotel(server.client, admin);
    const roomType = await createRoomType(server.client, admin, hotel.id);
    const results = await all(WRITERS, (i) =>
      server.client.request(UPDATE_ROOM_TYPE, { input: { id: roomType.id, version: 1, maxOccupancy: (i % 20) + 1 } }, admin),
    );
    const winner = oneWinner(results, 'VERSION_CONFLICT');
    const stored = await server.orm.em.fork().findOneOrFail(RoomType, roomType.id);
    expect(stored).toMatchObject({ version: 2, maxOccupancy: winner.updateRoomType.maxOccupancy });
  });

  it('update a room: exactly one wins', async () => {
    const hotel = await createHotel(server.client, admin);
    const roomType = await createRoomType(server.client, admin, hotel.id);
    const room = await createRoom(server.client, admin, roomType.id);
    const results = await all(WRITERS, (i) =>
      server.client.request(UPDATE_ROOM, { input: { id: room.id, version: 1, floor: i } }, admin),
    );
    const winner = oneWinner(results, 'VERSION_CONFLICT');
    const stored = await server.orm.em.fork().findOneOrFail(Room, room.id);
    expect(stored).toMatchObject({ version: 2, floor: winner.updateRoom.floor });
  });

  it('delete a hotel: exactly one deletes, the rest find it gone', async () => {
    const hotel = await createHotel(server.client, admin);
    const results = await all(WRITERS, () => server.client.request(DELETE_HOTEL, { id: hotel.id, version: 1 }, admin));
    const { winners, codes } = split(results);
    expect(winners).toHaveLength(1);
    for (const code of codes) expect(['NOT_FOUND', 'VERSION_CONFLICT']).toContain(code);
    expect(await server.orm.em.fork().count(Hotel, { id: hotel.id })).toBe(0);
  });

  it('update and delete racing: the hotel ends either updated or deleted, never both', async () => {
    const hotel = await createHotel(server.client, admin);
    const results = await all(WRITERS, (i) =>
      i % 2
        ? server.client.request(UPDATE_HOTEL, { input: { id: hotel.id, version: 1, city: `City ${i}` } }, admin)
        : server.client.request(DELETE_HOTEL, { id: hotel.id, version: 1 }, admin),
    );
    const { winners } = split(results);
    expect(winners).toHaveLength(1);
    const stored = await server.orm.em.fork().findOne(Hotel, hotel.id);
    if ('deleteHotel' in winners[0].data!) expect(stored).toBeNull();
    else expect(stored).toMatchObject({ version: 2, city: winners[0].data!.updateHotel.city });
  });
});

it(`${WRITERS} concurrent creates of the same room number in one hotel: exactly one room exists`, async () => {
  const hotel = await createHotel(server.client, admin);
  const types = await all(2, () => createRoomType(server.client, admin, hotel.id));
  const results = await all(WRITERS, (i) =>
    server.client.request(CREATE_ROOM, { input: { roomTypeId: types[i % 2].id, number: '101' } }, admin),
  );
  oneWinner(results, 'BAD_USER_INPUT');
  expect(await server.orm.em.fork().count(Room, { hotel: hotel.id, number: '101' })).toBe(1);
});
