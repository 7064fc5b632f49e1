import { randomUUID } from 'node:crypto';
import type { GraphQLClient } from './graphql.js';

export const HOTEL_FIELDS = 'id name city address timezone currency overbookingPercent version';
export const ROOM_TYPE_FIELDS = 'id name description maxOccupancy version';
export const ROOM_FIELDS = 'id number floor outOfService version';

export const CREATE_HOTEL = `mutation($input: CreateHotelInput!) { createHotel(input: $input) { ${HOTEL_FIELDS} } }`;
export const UPDATE_HOTEL = `mutation($input: UpdateHotelInput!) { updateHotel(input: $input) { ${HOTEL_FIELDS} } }`;
export const DELETE_HOTEL = `mutation($id: ID!, $version: Int!) { deleteHotel(id: $id, version: $version) }`;
export const CREATE_ROOM_TYPE = `mutation($input: CreateRoomTypeInput!) { createRoomType(input: $input) { ${ROOM_TYPE_FIELDS} } }`;
export const UPDATE_ROOM_TYPE = `mutation($input: UpdateRoomTypeInput!) { updateRoomType(input: $input) { ${ROOM_TYPE_FIELDS} } }`;
export const DELETE_ROOM_TYPE = `mutation($id: ID!, $version: Int!) { deleteRoomType(id: $id, version: $version) }`;
export const CREATE_ROOM = `mutation($input: CreateRoomInput!) { createRoom(input: $input) { ${ROOM_FIELDS} } }`;
export const UPDATE_ROOM = `mutation($input: UpdateRoomInput!) { updateRoom(input: $input) { ${ROOM_FIELDS} } }`;
export const DELETE_ROOM = `mutation($id: ID!, $version: Int!) { deleteRoom(id: $id, version: $version) }`;
export const HOTEL = `query($id: ID!) { hotel(id: $id) { ${HOTEL_FIELDS} roomTypes { ${ROOM_TYPE_FIELDS} rooms { ${ROOM_FIELDS} } } } }`;
export const ROOM_TYPE = `query($id: ID!) { roomType(id: $id) { ${ROOM_TYPE_FIELDS} hotel { id } rooms { ${ROOM_FIELDS} roomType { id } } } }`;

export interface HotelData {
  id: string;
  name: string;
  city: string;
  address: string | null;
  timezone: string;
  currency: string;
  overbookingPercent: number;
  version: number;
}

export interface RoomTypeData {
  id: string;
  name: string;
  description: string | null;
  maxOccupancy: number;
  version: number;
}

export interface RoomData {
  id: string;
  number: string;
  floor: number | null;
  outOfService: boolean;
  version: number;
}

/** A name no other test uses. */
export const unique = (prefix: string) => `${prefix} ${randomUUID().slice(0, 8)}`;

export function hotelInput(overrides: Record<string, unknown> = {}) {
  return { name: unique('Hotel'), city: unique('City'), timezone: 'Europe/Paris', currency: 'EUR', ...overrides };
}

export async function createHotel(
  client: GraphQLClient,
  adminToken: string,
  overrides: Record<string, unknown> = {},
): Promise<HotelData> {
  const data = await client.ok<{ createHotel: HotelData }>(CREATE_HOTEL, { input: hotelInput(overrides) }, adminToken);
  return data.createHotel;
}

export async function createRoomType(
  client: GraphQLClient,
  token: string,
  hotelId: string,
  overrides: Record<string, unknown> = {},
): Promise<RoomTypeData> {
  const input = { hotelId, name: unique('Room type'), maxOccupancy: 2, ...overrides };
  const data = await client.ok<{ createRoomType: RoomTypeData }>(CREATE_ROOM_TYPE, { input }, token);
  return data.createRoomType;
}

export async function createRoom(
  client: GraphQLClient,
  token: string,
  roomTypeId: string,
  overrides: Record<string, unknown> = {},
): Promise<RoomData> {
  const input = { roomTypeId, number: unique('R'), ...overrides };
  const data = await client.ok<{ createRoom: RoomData }>(CREATE_ROOM, { input }, token);
  return data.createRoom;
}
