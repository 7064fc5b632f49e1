import { randomUUID } from 'node:crypto';
import type { Orm } from '../../src/infra/database.js';
import { invariantViolations as auditViolations } from '../../src/services/booking/audit.js';
import { addDays, todayIn } from '../../src/services/common/dates.js';
import { createHotel, createRoomType, type HotelData, type RoomTypeData } from './catalog.js';
import type { GraphQLClient } from './graphql.js';

export const RESERVATION_FIELDS =
  'id checkIn checkOut rooms status holdExpiresAt createdAt version guest { name email } total { amount currency } hotel { id } roomType { id }';
export const RESERVE = `mutation($input: ReserveInput!) { reserve(input: $input) { ${RESERVATION_FIELDS} } }`;
export const CANCEL = `mutation($input: CancelReservationInput!) { cancelReservation(input: $input) { ${RESERVATION_FIELDS} } }`;
export const SET_INVENTORY = `mutation($input: SetInventoryInput!) { setInventory(input: $input) { date total reserved sellLimit available baseRate { amount currency } rate { amount currency } } }`;
export const SET_RATES = `mutation($input: SetRatesInput!) { setRates(input: $input) { date total reserved sellLimit available baseRate { amount currency } rate { amount currency } } }`;
export const SET_PRICING_RULES = `mutation($input: SetPricingRulesInput!) { setPricingRules(input: $input) { id version pricingRules { minOccupancyPercent adjustmentPercent } } }`;
export const INVENTORY = `query($id: ID!, $from: LocalDate!, $to: LocalDate!) { roomType(id: $id) { inventory(from: $from, to: $to) { date total reserved sellLimit available baseRate { amount currency } rate { amount currency } } } }`;
export const SEARCH = `query($hotelId: ID!, $checkIn: LocalDate!, $checkOut: LocalDate!, $rooms: Int) {
  searchAvailability(hotelId: $hotelId, checkIn: $checkIn, checkOut: $checkOut, rooms: $rooms) {
    roomType { id } available nights { date price { amount currency } } total { amount currency }
  }
}`;

export interface ReservationData {
  id: string;
  checkIn: string;
  checkOut: string;
  rooms: number;
  status: string;
  holdExpiresAt: string | null;
  createdAt: string;
  version: number;
  guest: { name: string; email: string };
  total: { amount: string; currency: string };
  hotel: { id: string };
  roomType: { id: string };
}

/** A date `days` from today in the hotel's zone. */
export function daysFromNow(days: number, timeZone = 'Europe/Paris'): string {
  return addDays(todayIn(timeZone), days);
}

export interface StockedRoomType {
  hotel: HotelData;
  roomType: RoomTypeData;
  from: string;
  to: string;
}

/** A hotel with one room type stocked with `total` rooms at `rate` on [from, to). */
export async function stockedRoomType(
  client: GraphQLClient,
  admin: string,
  options: { total?: number; rate?: string; nights?: number; startInDays?: number; hotel?: Record<string, unknown> } = {},
): Promise<StockedRoomType> {
  const hotel = await createHotel(client, admin, options.hotel ?? {});
  const roomType = await createRoomType(client, admin, hotel.id);
  const from = daysFromNow(options.startInDays ?? 1, hotel.timezone);
  const to = addDays(from, options.nights ?? 14);
  await client.ok(SET_INVENTORY, { input: { roomTypeId: roomType.id, from, to, total: options.total ?? 10 } }, admin);
  await client.ok(SET_RATES, { input: { roomTypeId: roomType.id, from, to, amount: options.rate ?? '100.00' } }, admin);
  return { hotel, roomType, from, to };
}

export function reserveInput(roomTypeId: string, checkIn: string, checkOut: string, overrides: Record<string, unknown> = {}) {
  return {
    idempotencyKey: `key-${randomUUID()}`,
    roomTypeId,
    checkIn,
    checkOut,
    rooms: 1,
    guest: { name: 'Ada Lovelace', email: 'ada@example.com' },
    paymentToken: 'tok_ok',
    ...overrides,
  };
}

/** Reserves through the API and returns the reservation; fails the test on any error. */
export async function reserveOk(client: GraphQLClient, token: string, input: Record<string, unknown>): Promise<ReservationData> {
  return (await client.ok<{ reserve: ReservationData }>(RESERVE, { input }, token)).reserve;
}

/** The invariants of ARCHITECTURE.md that the database can show, for the given hotels (see src/services/audit.ts). */
export function invariantViolations(orm: Orm, hotelIds: string[]): Promise<string[]> {
  return auditViolations(orm.em.fork(), { hotelIds });
}
