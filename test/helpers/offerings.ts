import { unique } from './catalog.js';
import type { GraphQLClient } from './graphql.js';
import { HOLD_FIELDS as SEAT_HOLD_FIELDS } from './holds.js';

/** Exhibitions and restaurants through the API, as staff and guests use them. */

export const EXHIBITION_FIELDS = 'id title description status holdMinutes maxTicketsPerHold detailsSchema version venue { id }';
export const SLOT_FIELDS = 'id exhibitionId startsAt endsAt capacity held sold available price { amount currency }';
export const RESTAURANT_FIELDS =
  'id name status slotMinutes turnMinutes maxPartySize holdMinutes detailsSchema version openingHours { weekday opens closes } depositPerCover { amount currency } venue { id }';
export const TABLE_FIELDS = 'id label minCovers maxCovers version';
export const OFFERING_HOLD_FIELDS = SEAT_HOLD_FIELDS.replace('items { id seatId', 'items { id seatId timeSlotId tableId');

export const CREATE_EXHIBITION = `mutation($input: CreateExhibitionInput!) { createExhibition(input: $input) { ${EXHIBITION_FIELDS} } }`;
export const UPDATE_EXHIBITION = `mutation($input: UpdateExhibitionInput!) { updateExhibition(input: $input) { ${EXHIBITION_FIELDS} } }`;
export const SET_TIME_SLOTS = `mutation($input: SetTimeSlotsInput!) { setTimeSlots(input: $input) { ${SLOT_FIELDS} } }`;
export const TIME_SLOTS = `query($id: ID!, $date: LocalDate!, $quantity: Int) { exhibition(id: $id) { timeSlots(date: $date, quantity: $quantity) { ${SLOT_FIELDS} } } }`;
export const HOLD_TIMED_ENTRY = `mutation($input: HoldTimedEntryInput!) { holdTimedEntry(input: $input) { ${OFFERING_HOLD_FIELDS} } }`;
export const CREATE_RESTAURANT = `mutation($input: CreateRestaurantInput!) { createRestaurant(input: $input) { ${RESTAURANT_FIELDS} } }`;
export const UPDATE_RESTAURANT = `mutation($input: UpdateRestaurantInput!) { updateRestaurant(input: $input) { ${RESTAURANT_FIELDS} } }`;
export const CREATE_TABLE = `mutation($input: CreateDiningTableInput!) { createDiningTable(input: $input) { ${TABLE_FIELDS} } }`;
export const UPDATE_TABLE = `mutation($input: UpdateDiningTableInput!) { updateDiningTable(input: $input) { ${TABLE_FIELDS} } }`;
export const DELETE_TABLE = `mutation($id: ID!, $version: Int!) { deleteDiningTable(id: $id, version: $version) }`;
export const AVAILABILITY = `query($id: ID!, $date: LocalDate!, $partySize: Int!) { restaurant(id: $id) { availability(date: $date, partySize: $partySize) { startsAt tablesAvailable } } }`;
export const HOLD_TABLE = `mutation($input: HoldTableInput!) { holdTable(input: $input) { ${OFFERING_HOLD_FIELDS} } }`;
export const TIME_SLOTS_CHANGED = `subscription($exhibitionId: ID!, $date: LocalDate) {
  timeSlotsChanged(exhibitionId: $exhibitionId, date: $date) { eventId exhibitionId at slots { id held sold capacity available price { amount } } }
}`;
export const DINING_CHANGED = `subscription($restaurantId: ID!, $date: LocalDate) {
  diningAvailabilityChanged(restaurantId: $restaurantId, date: $date) { eventId restaurantId date at tables { tableId intervals { startsAt endsAt } } }
}`;

export interface SlotData {
  id: string;
  exhibitionId: string;
  startsAt: string;
  endsAt: string;
  capacity: number;
  held: number;
  sold: number;
  available: number;
  price: { amount: string; currency: string };
}

export interface OfferingHoldData {
  token: string;
  kind: string;
  offeringId: string;
  expiresAt: string;
  items: { id: string; seatId: string | null; timeSlotId: string | null; tableId: string | null; startsAt: string; endsAt: string; quantity: number; price: { amount: string } }[];
  total: { amount: string; currency: string };
}

export interface TableData {
  id: string;
  label: string;
  minCovers: number;
  maxCovers: number;
  version: number;
}

export async function createExhibition(client: GraphQLClient, token: string, venueId: string, overrides: Record<string, unknown> = {}) {
  const input = { venueId, title: unique('Exhibition'), ...overrides };
  return (await client.ok<{ createExhibition: { id: string; version: number; title: string } }>(CREATE_EXHIBITION, { input }, token)).createExhibition;
}

/** Slots on [from, to) every `intervalMinutes` between opens and closes, each of `capacity` at `price`. */
export async function setTimeSlots(
  client: GraphQLClient,
  token: string,
  exhibitionId: string,
  overrides: Record<string, unknown> = {},
): Promise<SlotData[]> {
  const input = { exhibitionId, opens: '10:00', closes: '12:00', intervalMinutes: 60, capacity: 5, price: '12.50', ...overrides };
  return (await client.ok<{ setTimeSlots: SlotData[] }>(SET_TIME_SLOTS, { input }, token)).setTimeSlots;
}

export async function timeSlots(client: GraphQLClient, exhibitionId: string, date: string, quantity?: number): Promise<SlotData[]> {
  return (await client.ok<{ exhibition: { timeSlots: SlotData[] } }>(TIME_SLOTS, { id: exhibitionId, date, quantity })).exhibition.timeSlots;
}

export function holdTickets(client: GraphQLClient, token: string, timeSlotId: string, quantity: number, holdToken?: string) {
  return client.request<{ holdTimedEntry: OfferingHoldData }>(HOLD_TIMED_ENTRY, { input: { timeSlotId, quantity, holdToken } }, token);
}

/** Every day of the week from 18:00 to 23:00 unless told otherwise. */
export const EVENINGS = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, opens: '18:00', closes: '23:00' }));

export async function createRestaurant(client: GraphQLClient, token: string, venueId: string, overrides: Record<string, unknown> = {}) {
  const input = { venueId, name: unique('Restaurant'), openingHours: EVENINGS, slotMinutes: 30, turnMinutes: 90, ...overrides };
  return (await client.ok<{ createRestaurant: { id: string; version: number; name: string } }>(CREATE_RESTAURANT, { input }, token)).createRestaurant;
}

export async function createTable(client: GraphQLClient, token: string, restaurantId: string, label: string, minCovers: number, maxCovers: number) {
  const input = { restaurantId, label, minCovers, maxCovers };
  return (await client.ok<{ createDiningTable: TableData }>(CREATE_TABLE, { input }, token)).createDiningTable;
}

export async function availability(client: GraphQLClient, restaurantId: string, date: string, partySize: number) {
  const data = await client.ok<{ restaurant: { availability: { startsAt: string; tablesAvailable: number }[] } }>(AVAILABILITY, {
    id: restaurantId,
    date,
    partySize,
  });
  return data.restaurant.availability;
}

export function holdTable(client: GraphQLClient, token: string, restaurantId: string, startsAt: string, partySize: number, holdToken?: string) {
  return client.request<{ holdTable: OfferingHoldData }>(HOLD_TABLE, { input: { restaurantId, startsAt, partySize, holdToken } }, token);
}
