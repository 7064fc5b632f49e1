import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Hotel } from '../../src/entities/catalog/hotel.entity.js';
import { Room } from '../../src/entities/catalog/room.entity.js';
import { RoomType } from '../../src/entities/catalog/room-type.entity.js';
import {
  createHotel,
  createRoom,
  createRoomType,
  DELETE_HOTEL,
  DELETE_ROOM,
  DELETE_ROOM_TYPE,
  HOTEL,
  ROOM_TYPE,
  UPDATE_HOTEL,
  UPDATE_ROOM,
  UPDATE_ROOM_TYPE,
} from '../helpers/catalog.js';
import { errorCode } from '../helpers/graphql.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let admin: string;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.token({ sub: 'admin-1', role: 'admin' });
});

afterAll(() => server.stop());

describe('hotels', () => {
  it('creates a hotel with defaults and reads it back through a fresh context', async () => {
    const hotel = await createHotel(server.client, admin, { address: '  1 Rue de Rivoli ', timezone: 'europe/paris' });
    expect(hotel).toMatchObject({ address: '1 Rue de Rivoli', timezone: 'Europe/Paris', overbookingPercent: 10, version: 1 });

    const stored = await server.orm.em.fork().findOneOrFail(Hotel, hotel.id);
    expect(stored.name).toBe(hotel.name);
    expect(stored.version).toBe(1);

    const { hotel: read } = await server.client.ok(HOTEL, { id: hotel.id });
    expect(read).toMatchObject({ ...hotel, roomTypes: [] });
  });

  it('updates only the given fields, bumps the version, and clears a nullable field on null', async () => {
    const hotel = await createHotel(server.client, admin, { address: 'Somewhere' });
    const { updateHotel } = await server.client.ok(
      UPDATE_HOTEL,
      { input: { id: hotel.id, version: 1, name: 'Renamed', overbookingPercent: 25, address: null } },
      admin,
    );
    expect(updateHotel).toEqual({ ...hotel, name: 'Renamed', overbookingPercent: 25, address: null, version: 2 });
  });

  it('refuses a stale version with VERSION_CONFLICT and changes nothing', async () => {
    const hotel = await createHotel(server.client, admin);
    await server.client.ok(UPDATE_HOTEL, { input: { id: hotel.id, version: 1, city: 'First' } }, admin);
    const stale = await server.client.request(UPDATE_HOTEL, { input: { id: hotel.id, version: 1, city: 'Second' } }, admin);
    expect(errorCode(stale)).toBe('VERSION_CONFLICT');
    const stored = await server.orm.em.fork().findOneOrFail(Hotel, hotel.id);
    expect(stored).toMatchObject({ city: 'First', version: 2 });
  });

  it('deletes with the current version only, taking its room types and rooms along', async () => {
    const hotel = await createHotel(server.client, admin);
    const roomType = await createRoomType(server.client, admin, hotel.id);
    await createRoom(server.client, admin, roomType.id);

    const stale = await server.client.request(DELETE_HOTEL, { id: hotel.id, version: 7 }, admin);
    expect(errorCode(stale)).toBe('VERSION_CONFLICT');
    expect(await server.orm.em.fork().count(Hotel, { id: hotel.id })).toBe(1);

    const { deleteHotel } = await server.client.ok(DELETE_HOTEL, { id: hotel.id, version: 1 }, admin);
    expect(deleteHotel).toBe(true);
    const em = server.orm.em.fork();
    expect(await em.count(Hotel, { id: hotel.id })).toBe(0);
    expect(await em.count(RoomType, { hotel: hotel.id })).toBe(0);
    expect(await em.count(Room, { hotel: hotel.id })).toBe(0);

    const again = await server.client.request(DELETE_HOTEL, { id: hotel.id, version: 1 }, admin);
    expect(errorCode(again)).toBe('NOT_FOUND');
  });

  it('answers null for an unknown or malformed id, and NOT_FOUND when changing one', async () => {
    for (const id of ['0190a000-0000-7000-8000-000000000000', 'not-an-id', "'; drop table hotel; --"]) {
      expect((await server.client.ok(HOTEL, { id })).hotel).toBeNull();
      const update = await server.client.request(UPDATE_HOTEL, { input: { id, version: 1, name: 'x' } }, admin);
      expect(errorCode(update)).toBe('NOT_FOUND');
    }
  });
});

describe('room types and rooms', () => {
  it('nests hotel -> room types -> rooms, in creation and room-number order', async () => {
    const hotel = await createHotel(server.client, admin);
    const double = await createRoomType(server.client, admin, hotel.id, { name: 'Double', description: 'Two beds', maxOccupancy: 2 });
    const suite = await createRoomType(server.client, admin, hotel.id, { name: 'Suite', maxOccupancy: 4 });
    const r102 = await createRoom(server.client, admin, double.id, { number: '102', floor: 1 });
    const r101 = await createRoom(server.client, admin, double.id, { number: '101' });

    const { hotel: read } = await server.client.ok(HOTEL, { id: hotel.id });
    expect(read.roomTypes.map((t: { name: string }) => t.name)).toEqual(['Double', 'Suite']);
    expect(read.roomTypes[0].rooms).toEqual([r101, r102].map(({ id, number, floor, outOfService, version }) => ({ id, number, floor, outOfService, version })));
    expect(read.roomTypes[1]).toMatchObject({ id: suite.id, description: null, rooms: [] });

    const { roomType } = await server.client.ok(ROOM_TYPE, { id: double.id });
    expect(roomType).toMatchObject({ id: double.id, description: 'Two beds', hotel: { id: hotel.id } });
    expect(roomType.rooms.every((room: { roomType: { id: string } }) => room.roomType.id === double.id)).toBe(true);
  });

  it('updates and deletes room types with their version', async () => {
    const hotel = await createHotel(server.client, admin);
    const roomType = await createRoomType(server.client, admin, hotel.id);
    await createRoom(server.client, admin, roomType.id);
    const { updateRoomType } = await server.client.ok(
      UPDATE_ROOM_TYPE,
      { input: { id: roomType.id, version: 1, maxOccupancy: 3, description: 'Sea view' } },
      admin,
    );
    expect(updateRoomType).toEqual({ ...roomType, maxOccupancy: 3, description: 'Sea view', version: 2 });

    const stale = await server.client.request(UPDATE_ROOM_TYPE, { input: { id: roomType.id, version: 1, name: 'x' } }, admin);
    expect(errorCode(stale)).toBe('VERSION_CONFLICT');

    expect(errorCode(await server.client.request(DELETE_ROOM_TYPE, { id: roomType.id, version: 1 }, admin))).toBe('VERSION_CONFLICT');
    expect((await server.client.ok(DELETE_ROOM_TYPE, { id: roomType.id, version: 2 }, admin)).deleteRoomType).toBe(true);
    expect((await server.client.ok(ROOM_TYPE, { id: roomType.id })).roomType).toBeNull();
    expect(await server.orm.em.fork().count(Room, { roomType: roomType.id })).toBe(0);
  });

  it('updates and deletes rooms with their version', async () => {
    const hotel = await createHotel(server.client, admin);
    const roomType = await createRoomType(server.client, admin, hotel.id);
    const room = await createRoom(server.client, admin, roomType.id, { number: '7', floor: 0 });
    const { updateRoom } = await server.client.ok(
      UPDATE_ROOM,
      { input: { id: room.id, version: 1, number: '7A', floor: null, outOfService: true } },
      admin,
    );
    expect(updateRoom).toEqual({ ...room, number: '7A', floor: null, outOfService: true, version: 2 });
    expect(errorCode(await server.client.request(UPDATE_ROOM, { input: { id: room.id, version: 1, floor: 3 } }, admin))).toBe('VERSION_CONFLICT');
    expect(errorCode(await server.client.request(DELETE_ROOM, { id: room.id, version: 1 }, admin))).toBe('VERSION_CONFLICT');
    expect((await server.client.ok(DELETE_ROOM, { id: room.id, version: 2 }, admin)).deleteRoom).toBe(true);
    expect(await server.orm.em.fork().count(Room, { id: room.id })).toBe(0);
  });

  it('answers NOT_FOUND for a room type or room under an unknown parent', async () => {
    const missing = '0190a000-0000-7000-8000-000000000000';
    const roomType = await server.client.request(
      `mutation { createRoomType(input: { hotelId: "${missing}", name: "x", maxOccupancy: 1 }) { id } }`,
      undefined,
      admin,
    );
    expect(errorCode(roomType)).toBe('NOT_FOUND');
    const room = await server.client.request(`mutation { createRoom(input: { roomTypeId: "nope", number: "1" }) { id } }`, undefined, admin);
    expect(errorCode(room)).toBe('NOT_FOUND');
  });
});
