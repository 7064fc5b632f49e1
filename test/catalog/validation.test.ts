import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Hotel } from '../../src/entities/catalog/hotel.entity.js';
import { Room } from '../../src/entities/catalog/room.entity.js';
import { RoomType } from '../../src/entities/catalog/room-type.entity.js';
import {
  CREATE_HOTEL,
  CREATE_ROOM,
  CREATE_ROOM_TYPE,
  createHotel,
  createRoom,
  createRoomType,
  HOTEL,
  hotelInput,
  ROOM_TYPE,
  unique,
  UPDATE_HOTEL,
  UPDATE_ROOM,
  UPDATE_ROOM_TYPE,
  type HotelData,
  type RoomData,
  type RoomTypeData,
} from '../helpers/catalog.js';
import { errorCode } from '../helpers/graphql.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const BAD = 'BAD_USER_INPUT';
const chars = (n: number) => 'x'.repeat(n);
/** Values a 1-200 character text field must refuse, and the longest it must take. */
const BAD_TEXT = [['an empty', ''], ['a blank', '   '], ['a 201-character', chars(201)]];

let server: TestServer;
let admin: string;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.token({ sub: 'admin-v', role: 'admin' });
});

afterAll(() => server.stop());

// ---- refusal helpers: each asserts BAD_USER_INPUT and that nothing was written ----

/** Every create carries a unique address (hotels) or description (room types) to count by afterwards. */
async function refuseCreateHotel(overrides: Record<string, unknown>) {
  const address = unique('marker');
  const result = await server.client.request(CREATE_HOTEL, { input: hotelInput({ address, ...overrides }) }, admin);
  expect(errorCode(result)).toBe(BAD);
  expect(await server.orm.em.fork().count(Hotel, { address })).toBe(0);
}

async function refuseUpdateHotel(hotel: HotelData, changes: Record<string, unknown>) {
  const result = await server.client.request(UPDATE_HOTEL, { input: { id: hotel.id, version: hotel.version, ...changes } }, admin);
  expect(errorCode(result)).toBe(BAD);
  expect((await server.client.ok(HOTEL, { id: hotel.id })).hotel).toMatchObject(hotel);
}

async function refuseCreateRoomType(hotelId: string, overrides: Record<string, unknown>) {
  const description = unique('marker');
  const input = { hotelId, name: unique('Room type'), maxOccupancy: 2, description, ...overrides };
  const result = await server.client.request(CREATE_ROOM_TYPE, { input }, admin);
  expect(errorCode(result)).toBe(BAD);
  expect(await server.orm.em.fork().count(RoomType, { description })).toBe(0);
}

async function refuseUpdateRoomType(roomType: RoomTypeData, changes: Record<string, unknown>) {
  const input = { id: roomType.id, version: roomType.version, ...changes };
  expect(errorCode(await server.client.request(UPDATE_ROOM_TYPE, { input }, admin))).toBe(BAD);
  expect((await server.client.ok(ROOM_TYPE, { id: roomType.id })).roomType).toMatchObject(roomType);
}

async function refuseUpdateRoom(room: RoomData, changes: Record<string, unknown>) {
  const input = { id: room.id, version: room.version, ...changes };
  expect(errorCode(await server.client.request(UPDATE_ROOM, { input }, admin))).toBe(BAD);
  const { number, floor, outOfService, version } = await server.orm.em.fork().findOneOrFail(Room, room.id);
  expect({ id: room.id, number, floor, outOfService, version }).toEqual(room);
}

const newHotel = (overrides: Record<string, unknown> = {}) => createHotel(server.client, admin, overrides);
const updateHotel = async (hotel: HotelData, changes: Record<string, unknown>): Promise<HotelData> =>
  (await server.client.ok(UPDATE_HOTEL, { input: { id: hotel.id, version: hotel.version, ...changes } }, admin)).updateHotel;

describe('hotels', () => {
  describe.each(['name', 'city'])('%s', (field) => {
    it.each(BAD_TEXT)('refuses %s value on create and update', async (_label, value) => {
      await refuseCreateHotel({ [field]: value });
      await refuseUpdateHotel(await newHotel(), { [field]: value });
    });

    it('takes exactly 200 characters after trimming, on create and update', async () => {
      const created = await newHotel({ [field]: `  ${chars(200)} ` });
      expect(created[field as keyof HotelData]).toBe(chars(200));
      const updated = await updateHotel(await newHotel(), { [field]: ` ${'y'.repeat(200)}  ` });
      expect(updated[field as keyof HotelData]).toBe('y'.repeat(200));
    });
  });

  describe('timezone', () => {
    it.each(['Mars/Olympus', '+09:00', 'UTC+9', ''])('refuses %j on create and update', async (timezone) => {
      await refuseCreateHotel({ timezone });
      await refuseUpdateHotel(await newHotel(), { timezone });
    });

    it.each([
      ['Asia/Seoul', 'Asia/Seoul'],
      ['asia/seoul', 'Asia/Seoul'],
    ])('takes %j and stores it as %j, on create and update', async (timezone, stored) => {
      const created = await newHotel({ timezone });
      expect(created.timezone).toBe(stored);
      expect((await server.orm.em.fork().findOneOrFail(Hotel, created.id)).timezone).toBe(stored);
      expect((await updateHotel(await newHotel({ timezone: 'UTC' }), { timezone })).timezone).toBe(stored);
    });
  });

  describe('currency', () => {
    it.each(['EURO', 'eur', 'ABC', 'XYZ', ''])('refuses %j on create and update', async (currency) => {
      await refuseCreateHotel({ currency });
      await refuseUpdateHotel(await newHotel(), { currency });
    });

    it.each(['EUR', 'KRW', 'JPY'])('takes %s on create and update', async (currency) => {
      expect((await newHotel({ currency })).currency).toBe(currency);
      expect((await updateHotel(await newHotel({ currency: 'USD' }), { currency })).currency).toBe(currency);
    });
  });

  describe('overbookingPercent', () => {
    it.each([-1, 101])('refuses %d on create and update', async (overbookingPercent) => {
      await refuseCreateHotel({ overbookingPercent });
      await refuseUpdateHotel(await newHotel(), { overbookingPercent });
    });

    it.each([0, 100])('takes %d on create and update', async (overbookingPercent) => {
      expect((await newHotel({ overbookingPercent })).overbookingPercent).toBe(overbookingPercent);
      const updated = await updateHotel(await newHotel({ overbookingPercent: 50 }), { overbookingPercent });
      expect(updated.overbookingPercent).toBe(overbookingPercent);
    });
  });

  it.each(['name', 'city', 'timezone', 'currency', 'overbookingPercent'])('refuses an update setting %s to null', async (field) => {
    await refuseUpdateHotel(await newHotel(), { [field]: null });
  });

  it('writes nothing when one request carries several invalid fields next to valid ones', async () => {
    await refuseCreateHotel({ name: '', timezone: 'Mars/Olympus', currency: 'eur', overbookingPercent: 101 });
    await refuseCreateHotel({ name: 'Fine', city: 'Fine', currency: 'EURO' });
    const hotel = await newHotel();
    await refuseUpdateHotel(hotel, { name: 'Renamed', city: '   ', currency: 'XYZ' });
    await refuseUpdateHotel(hotel, { name: 'Renamed', address: 'New address', overbookingPercent: -1 });
  });
});

describe('room types', () => {
  let hotel: HotelData;

  beforeAll(async () => {
    hotel = await newHotel();
  });

  const newRoomType = (overrides: Record<string, unknown> = {}) => createRoomType(server.client, admin, hotel.id, overrides);
  const updateRoomType = async (roomType: RoomTypeData, changes: Record<string, unknown>): Promise<RoomTypeData> =>
    (await server.client.ok(UPDATE_ROOM_TYPE, { input: { id: roomType.id, version: roomType.version, ...changes } }, admin))
      .updateRoomType;

  it.each(BAD_TEXT)('refuses %s name on create and update', async (_label, name) => {
    await refuseCreateRoomType(hotel.id, { name });
    await refuseUpdateRoomType(await newRoomType(), { name });
  });

  it('takes a name of exactly 200 characters after trimming', async () => {
    expect((await newRoomType({ name: ` ${chars(200)} ` })).name).toBe(chars(200));
    expect((await updateRoomType(await newRoomType(), { name: `${'y'.repeat(200)}  ` })).name).toBe('y'.repeat(200));
  });

  it.each([0, 21])('refuses maxOccupancy %d on create and update', async (maxOccupancy) => {
    await refuseCreateRoomType(hotel.id, { maxOccupancy });
    await refuseUpdateRoomType(await newRoomType(), { maxOccupancy });
  });

  it.each([1, 20])('takes maxOccupancy %d on create and update', async (maxOccupancy) => {
    expect((await newRoomType({ maxOccupancy })).maxOccupancy).toBe(maxOccupancy);
    expect((await updateRoomType(await newRoomType({ maxOccupancy: 5 }), { maxOccupancy })).maxOccupancy).toBe(maxOccupancy);
  });

  it.each(['name', 'maxOccupancy'])('refuses an update setting %s to null', async (field) => {
    await refuseUpdateRoomType(await newRoomType(), { [field]: null });
  });

  it('writes nothing when one request carries several invalid fields next to valid ones', async () => {
    await refuseCreateRoomType(hotel.id, { name: '   ', maxOccupancy: 21 });
    await refuseCreateRoomType(hotel.id, { name: 'Fine', maxOccupancy: 0 });
    await refuseUpdateRoomType(await newRoomType(), { name: 'Renamed', description: 'New', maxOccupancy: 0 });
  });
});

describe('rooms', () => {
  let hotel: HotelData;
  let single: RoomTypeData;
  let double: RoomTypeData;

  beforeAll(async () => {
    hotel = await newHotel();
    single = await createRoomType(server.client, admin, hotel.id, { name: 'Single', maxOccupancy: 1 });
    double = await createRoomType(server.client, admin, hotel.id, { name: 'Double', maxOccupancy: 2 });
  });

  const roomsInHotel = () => server.orm.em.fork().count(Room, { hotel: hotel.id });

  it.each(['same', 'padded'])('refuses a number already used in another room type of the hotel (%s)', async (how) => {
    const number = unique('N');
    await createRoom(server.client, admin, single.id, { number });
    const before = await roomsInHotel();
    const taken = how === 'same' ? number : `  ${number} `;
    const result = await server.client.request(CREATE_ROOM, { input: { roomTypeId: double.id, number: taken } }, admin);
    expect(errorCode(result)).toBe(BAD);
    expect(await roomsInHotel()).toBe(before);
  });

  it('takes the same number in a different hotel', async () => {
    const number = unique('N');
    await createRoom(server.client, admin, single.id, { number });
    const other = await createRoomType(server.client, admin, (await newHotel()).id);
    expect((await createRoom(server.client, admin, other.id, { number })).number).toBe(number);
  });

  it('refuses renaming a room to a number another room of the hotel has', async () => {
    const first = await createRoom(server.client, admin, single.id);
    const second = await createRoom(server.client, admin, double.id);
    await refuseUpdateRoom(second, { number: first.number });
    await refuseUpdateRoom(second, { number: first.number, floor: 3, outOfService: true });
  });

  it('lets a room be renamed to its own number', async () => {
    const room = await createRoom(server.client, admin, single.id, { floor: 1 });
    const { updateRoom } = await server.client.ok(UPDATE_ROOM, { input: { id: room.id, version: 1, number: room.number } }, admin);
    expect(updateRoom).toEqual({ ...room, version: 2 });
    const stored = await server.orm.em.fork().findOneOrFail(Room, room.id);
    expect(stored.number).toBe(room.number);
  });

  it.each(['number', 'outOfService'])('refuses an update setting %s to null', async (field) => {
    await refuseUpdateRoom(await createRoom(server.client, admin, single.id), { [field]: null });
  });
});

describe('requests that do not fit the schema', () => {
  let hotel: HotelData;

  beforeAll(async () => {
    hotel = await newHotel();
  });

  it.each([
    ['a string for an Int', 'two'],
    ['a fraction for an Int', 2.5],
    ['null for a non-null Int', null],
  ])('refuses %s in a variable (maxOccupancy) and writes nothing', async (_label, maxOccupancy) => {
    await refuseCreateRoomType(hotel.id, { maxOccupancy });
  });

  it('refuses a wrong type in an update variable and changes nothing', async () => {
    const roomType = await createRoomType(server.client, admin, hotel.id);
    await refuseUpdateRoomType(roomType, { name: 'Renamed', maxOccupancy: 'two' });
    await refuseUpdateHotel(hotel, { name: 'Renamed', overbookingPercent: '10' });
  });

  it('refuses an unknown input field and writes nothing', async () => {
    await refuseCreateHotel({ stars: 5 });
  });

  it.each([
    ['a query that does not parse', (d: string) => `mutation { createRoomType(input: { hotelId: "${hotel.id}", name: "x", maxOccupancy: 2, description: "${d}" }) { id }`],
    ['a literal of the wrong type', (d: string) => `mutation { createRoomType(input: { hotelId: "${hotel.id}", name: "x", maxOccupancy: "two", description: "${d}" }) { id } }`],
  ])('refuses %s and writes nothing', async (_label, query) => {
    const description = unique('marker');
    expect(errorCode(await server.client.request(query(description), undefined, admin))).toBe(BAD);
    expect(await server.orm.em.fork().count(RoomType, { description })).toBe(0);
  });
});
