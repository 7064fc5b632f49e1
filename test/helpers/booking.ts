import { randomUUID } from 'node:crypto';
import type { Orm } from '../../src/infra/database.js';
import { addDays, todayIn } from '../../src/services/dates.js';
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

/**
 * The invariants of ARCHITECTURE.md that the database can show, for the given hotels.
 * Returns the violations found (empty when all hold).
 */
export async function invariantViolations(orm: Orm, hotelIds: string[]): Promise<string[]> {
  const em = orm.em.fork();
  const problems: string[] = [];
  const hotels = hotelIds.map(() => '?').join(', ');
  // 1. 0 <= reserved <= sell_limit, and reserved = rooms of PENDING/CONFIRMED reservations on that night.
  const nights = await em.execute<{ room_type_id: string; date: string; reserved: number; sell_limit: number; held: string }[]>(
    `select i.room_type_id, i.date::text as date, i.reserved, i.sell_limit, coalesce(sum(r.rooms), 0) as held
       from room_type_inventory i
       left join reservation r on r.room_type_id = i.room_type_id and r.status in ('PENDING', 'CONFIRMED')
            and r.check_in <= i.date and r.check_out > i.date
      where i.hotel_id in (${hotels})
      group by i.room_type_id, i.date, i.reserved, i.sell_limit
     having i.reserved <> coalesce(sum(r.rooms), 0) or i.reserved < 0 or i.reserved > i.sell_limit`,
    hotelIds,
  );
  for (const n of nights) problems.push(`night ${n.room_type_id} ${n.date}: reserved ${n.reserved}, held ${n.held}, limit ${n.sell_limit}`);
  // 3. CONFIRMED only if paid (and not refunded); money taken is never kept without a CONFIRMED reservation.
  const money = await em.execute<{ id: string; status: string; total_minor: string; charge: string | null; amount_minor: string | null; refunded_minor: string | null; refund_due: boolean }[]>(
    `select r.id, r.status, r.total_minor, r.refund_due, c.status as charge, c.amount_minor, c.refunded_minor
       from reservation r left join test_gateway_charge c on c.idempotency_key = r.id::text
      where r.hotel_id in (${hotels})`,
    hotelIds,
  );
  for (const r of money) {
    const paid = r.charge === 'succeeded' && Number(r.refunded_minor) === 0;
    if (r.status === 'CONFIRMED' && !paid) problems.push(`reservation ${r.id} CONFIRMED without a payment`);
    if (paid && r.status !== 'CONFIRMED' && r.status !== 'PENDING') problems.push(`reservation ${r.id} ${r.status} kept its payment`);
    if (r.charge === 'succeeded' && Number(r.amount_minor) !== Number(r.total_minor)) {
      problems.push(`reservation ${r.id} charged ${r.amount_minor}, priced ${r.total_minor}`);
    }
    if (r.status === 'REFUNDED' && !r.refund_due && Number(r.refunded_minor) !== Number(r.amount_minor)) {
      problems.push(`reservation ${r.id} REFUNDED but the money was not returned`);
    }
  }
  return problems;
}
