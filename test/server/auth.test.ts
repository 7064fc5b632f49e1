import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignJWT, type JWTPayload } from 'jose';
import { Hotel } from '../../src/entities/catalog/hotel.entity.js';
import { DEV_JWT_SECRET } from '../../src/infra/config.js';
import {
  CREATE_HOTEL,
  CREATE_ROOM,
  CREATE_ROOM_TYPE,
  createHotel,
  createRoom,
  createRoomType,
  DELETE_HOTEL,
  DELETE_ROOM,
  DELETE_ROOM_TYPE,
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
import { errorCode, type GraphQLResult } from '../helpers/graphql.js';
import { generateSigningKey, signRs256, startJwksServer, type JwksServer } from '../helpers/jwks.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const HOTELS = `query($city: String) { hotels(city: $city) { edges { node { id } } } }`;

let server: TestServer;
let admin: string;
let otherHotel: HotelData;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.token({ sub: 'admin-1', role: 'admin' });
  otherHotel = await createHotel(server.client, admin);
});

afterAll(() => server.stop());

/** An HS256 token with any claims, any secret, any expiry (seconds since the epoch). */
function hs256(claims: JWTPayload, secret: string, exp = Math.floor(Date.now() / 1000) + 3600): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(exp - 7200)
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(secret));
}

/** A POST with exactly the Authorization header given (none when undefined). */
async function post(url: string, query: string, variables: Record<string, unknown>, authorization?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (authorization !== undefined) headers.authorization = authorization;
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return { status: response.status, ...((await response.json()) as Omit<GraphQLResult, 'status'>) };
}

interface Fixture {
  hotel: HotelData;
  roomType: RoomTypeData;
  room: RoomData;
  /** The name createHotel uses, so a refused create can be looked for. */
  newHotelName: string;
}

/** Each catalog mutation as [document, variables] against a fresh fixture. */
const MUTATIONS: Record<string, (f: Fixture) => [string, Record<string, unknown>]> = {
  createHotel: (f) => [CREATE_HOTEL, { input: hotelInput({ name: f.newHotelName }) }],
  updateHotel: (f) => [UPDATE_HOTEL, { input: { id: f.hotel.id, version: 1, name: unique('Renamed') } }],
  deleteHotel: (f) => [DELETE_HOTEL, { id: f.hotel.id, version: 1 }],
  createRoomType: (f) => [CREATE_ROOM_TYPE, { input: { hotelId: f.hotel.id, name: unique('Type'), maxOccupancy: 2 } }],
  updateRoomType: (f) => [UPDATE_ROOM_TYPE, { input: { id: f.roomType.id, version: 1, maxOccupancy: 3 } }],
  deleteRoomType: (f) => [DELETE_ROOM_TYPE, { id: f.roomType.id, version: 1 }],
  createRoom: (f) => [CREATE_ROOM, { input: { roomTypeId: f.roomType.id, number: unique('R') } }],
  updateRoom: (f) => [UPDATE_ROOM, { input: { id: f.room.id, version: 1, outOfService: true } }],
  deleteRoom: (f) => [DELETE_ROOM, { id: f.room.id, version: 1 }],
};

/** The token each kind of caller sends for a fixture's hotel (undefined: none at all). */
const CALLERS: Record<string, (hotelId: string) => Promise<string | undefined>> = {
  none: async () => undefined,
  badSignature: () => hs256({ sub: 'admin-1', role: 'admin' }, 'not-the-server-secret'),
  expired: () => hs256({ sub: 'admin-1', role: 'admin' }, server.config.auth.jwtSecret!, Math.floor(Date.now() / 1000) - 60),
  invalidRole: (hotelId) => hs256({ sub: 'root', role: 'superuser', hotels: [hotelId] }, server.config.auth.jwtSecret!),
  guest: () => server.token({ sub: 'guest-1', role: 'guest' }),
  staffOfAnotherHotel: () => server.token({ sub: 'staff-2', role: 'staff', hotels: [otherHotel.id] }),
  staffOfTheHotel: (hotelId) => server.token({ sub: 'staff-1', role: 'staff', hotels: [hotelId] }),
  admin: async () => admin,
};

const UNAUTHENTICATED = new Set(['none', 'badSignature', 'expired', 'invalidRole']);

/** undefined: the call succeeds. */
function expectedCode(mutation: string, caller: string): string | undefined {
  if (UNAUTHENTICATED.has(caller)) return 'UNAUTHENTICATED';
  if (caller === 'admin') return undefined;
  if (caller === 'staffOfTheHotel' && mutation !== 'createHotel') return undefined;
  return 'FORBIDDEN';
}

const MATRIX = Object.keys(MUTATIONS).flatMap((mutation) =>
  Object.keys(CALLERS).map((caller) => ({ mutation, caller, expected: expectedCode(mutation, caller) ?? 'success' })),
);

describe('catalog mutations: who may call them', () => {
  /** Everything a mutation could touch: the fixture hotel's whole tree, and whether createHotel's hotel exists. */
  async function snapshot(f: Fixture) {
    const { hotel } = await server.client.ok(HOTEL, { id: f.hotel.id });
    const created = await server.orm.em.fork().count(Hotel, { name: f.newHotelName });
    return { hotel, created };
  }

  it.each(MATRIX)('$mutation as $caller: $expected', async ({ mutation, caller, expected }) => {
    const hotel = await createHotel(server.client, admin);
    const roomType = await createRoomType(server.client, admin, hotel.id);
    const room = await createRoom(server.client, admin, roomType.id);
    const fixture: Fixture = { hotel, roomType, room, newHotelName: unique('New hotel') };
    const before = await snapshot(fixture);

    const [document, variables] = MUTATIONS[mutation](fixture);
    const result = await server.client.request(document, variables, await CALLERS[caller](hotel.id));

    if (expected === 'success') {
      expect(result.errors).toBeUndefined();
      expect(result.data?.[mutation]).toBeTruthy();
      expect(await snapshot(fixture)).not.toEqual(before);
    } else {
      expect(result.errors).toHaveLength(1);
      expect(errorCode(result)).toBe(expected);
      expect(result.data).toBeNull();
      expect(await snapshot(fixture)).toEqual(before);
    }
  });
});

describe('reads need no token', () => {
  it.each([
    ['no token', async () => undefined],
    ['a token with a bad signature', () => hs256({ sub: 'x', role: 'admin' }, 'not-the-server-secret')],
    ['an expired token', () => hs256({ sub: 'x', role: 'admin' }, server.config.auth.jwtSecret!, 1_000_000)],
  ])('hotel, hotels and roomType answer with %s', async (_, token) => {
    const hotel = await createHotel(server.client, admin);
    const roomType = await createRoomType(server.client, admin, hotel.id);
    const bearer = await token();

    const read = await server.client.request(HOTEL, { id: hotel.id }, bearer);
    expect(read.errors).toBeUndefined();
    expect(read.data?.hotel).toMatchObject({ id: hotel.id, roomTypes: [{ id: roomType.id }] });

    const list = await server.client.request(HOTELS, { city: hotel.city }, bearer);
    expect(list.errors).toBeUndefined();
    expect(list.data?.hotels.edges).toEqual([{ node: { id: hotel.id } }]);

    const type = await server.client.request(ROOM_TYPE, { id: roomType.id }, bearer);
    expect(type.errors).toBeUndefined();
    expect(type.data?.roomType).toMatchObject({ id: roomType.id, hotel: { id: hotel.id } });
  });
});

describe('the Authorization header', () => {
  it.each([
    ['Basic scheme', async () => 'Basic YWRtaW46YWRtaW4='],
    ['a valid token without a scheme', async () => admin],
    ['a valid token under another scheme', async () => `Token ${admin}`],
    ['"Bearer" with no token', async () => 'Bearer'],
    ['two tokens', async () => `Bearer ${admin} ${admin}`],
  ])('is UNAUTHENTICATED on a mutation when it is %s, and creates nothing', async (_, header) => {
    const input = hotelInput();
    const result = await post(server.app.url, CREATE_HOTEL, { input }, await header());
    expect(errorCode(result)).toBe('UNAUTHENTICATED');
    expect(await server.orm.em.fork().count(Hotel, { name: input.name })).toBe(0);
  });

  it.each([
    ['no expiry', { sub: 'admin-1', role: 'admin' }],
    ['no subject', { role: 'admin', exp: Math.floor(Date.now() / 1000) + 3600 }],
  ])('refuses a correctly signed token with %s', async (_, claims) => {
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(new TextEncoder().encode(server.config.auth.jwtSecret!));
    const input = hotelInput();
    const result = await post(server.app.url, CREATE_HOTEL, { input }, `Bearer ${token}`);
    expect(errorCode(result)).toBe('UNAUTHENTICATED');
    expect(await server.orm.em.fork().count(Hotel, { name: input.name })).toBe(0);
  });

  it('still lets reads through when malformed', async () => {
    const result = await post(server.app.url, HOTEL, { id: otherHotel.id }, `Token ${admin}`);
    expect(result.errors).toBeUndefined();
    expect(result.data?.hotel).toMatchObject({ id: otherHotel.id });
  });

  it('accepts the scheme in any case', async () => {
    const result = await post(server.app.url, CREATE_HOTEL, { input: hotelInput() }, `bearer ${admin}`);
    expect(result.errors).toBeUndefined();
  });
});

describe('tokens verified against JWKS_URL', () => {
  let jwks: JwksServer;
  let jwksServer: TestServer;
  let key: Awaited<ReturnType<typeof generateSigningKey>>;

  beforeAll(async () => {
    key = await generateSigningKey('key-1');
    jwks = await startJwksServer([key.publicJwk]);
    jwksServer = await startTestServer({ auth: { jwksUrl: jwks.url, usingDevSecret: false } });
  });

  afterAll(async () => {
    await jwksServer?.stop();
    await jwks?.close();
  });

  const createHotelWith = async (token: string) => {
    const input = hotelInput();
    const result = await jwksServer.client.request(CREATE_HOTEL, { input }, token);
    const created = await jwksServer.orm.em.fork().count(Hotel, { name: input.name });
    return { result, created };
  };

  it('accepts an RS256 token signed with the published key', async () => {
    const { result, created } = await createHotelWith(await signRs256(key, { sub: 'admin-1', role: 'admin' }));
    expect(result.errors).toBeUndefined();
    expect(result.data?.createHotel).toMatchObject({ version: 1 });
    expect(created).toBe(1);
  });

  it('applies the role claims of a JWKS token: staff stay FORBIDDEN from createHotel', async () => {
    const { result, created } = await createHotelWith(await signRs256(key, { sub: 'staff-1', role: 'staff', hotels: [] }));
    expect(errorCode(result)).toBe('FORBIDDEN');
    expect(created).toBe(0);
  });

  it.each([
    ['signed by another key pair under the same kid', async () => signRs256(await generateSigningKey('key-1'), { sub: 'a', role: 'admin' })],
    ['signed by another key pair under an unknown kid', async () => signRs256(await generateSigningKey('key-2'), { sub: 'a', role: 'admin' })],
    ['HS256, signed with the development secret', () => hs256({ sub: 'a', role: 'admin' }, DEV_JWT_SECRET)],
  ])('refuses a token %s as UNAUTHENTICATED', async (_, token) => {
    const { result, created } = await createHotelWith(await token());
    expect(errorCode(result)).toBe('UNAUTHENTICATED');
    expect(created).toBe(0);
  });
});
