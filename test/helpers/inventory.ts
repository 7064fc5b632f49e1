import { INVENTORY, SET_INVENTORY, SET_PRICING_RULES, SET_RATES } from './booking.js';
import type { GraphQLClient } from './graphql.js';

export interface MoneyData {
  amount: string;
  currency: string;
}

/** An InventoryDay as INVENTORY, SET_INVENTORY and SET_RATES select it. */
export interface InventoryDayData {
  date: string;
  total: number;
  reserved: number;
  sellLimit: number;
  available: number;
  baseRate: MoneyData | null;
  rate: MoneyData | null;
}

export interface RuleData {
  minOccupancyPercent: number;
  adjustmentPercent: number;
}

/** The room type's version, pricing rules and nights of [from, to): everything the inventory mutations touch. */
export const ROOM_TYPE_STOCK = `query($id: ID!, $from: LocalDate!, $to: LocalDate!) {
  roomType(id: $id) {
    version
    pricingRules { minOccupancyPercent adjustmentPercent }
    inventory(from: $from, to: $to) { date total reserved sellLimit available baseRate { amount currency } rate { amount currency } }
  }
}`;

export async function readInventory(client: GraphQLClient, roomTypeId: string, from: string, to: string): Promise<InventoryDayData[]> {
  const data = await client.ok<{ roomType: { inventory: InventoryDayData[] } }>(INVENTORY, { id: roomTypeId, from, to });
  return data.roomType.inventory;
}

export async function readStock(client: GraphQLClient, roomTypeId: string, from: string, to: string) {
  const data = await client.ok<{ roomType: { version: number; pricingRules: RuleData[]; inventory: InventoryDayData[] } }>(
    ROOM_TYPE_STOCK,
    { id: roomTypeId, from, to },
  );
  return data.roomType;
}

export async function setInventory(client: GraphQLClient, token: string, roomTypeId: string, from: string, to: string, total: number) {
  return (await client.ok<{ setInventory: InventoryDayData[] }>(SET_INVENTORY, { input: { roomTypeId, from, to, total } }, token)).setInventory;
}

export async function setRates(client: GraphQLClient, token: string, roomTypeId: string, from: string, to: string, amount: string) {
  return (await client.ok<{ setRates: InventoryDayData[] }>(SET_RATES, { input: { roomTypeId, from, to, amount } }, token)).setRates;
}

export async function setPricingRules(client: GraphQLClient, token: string, roomTypeId: string, version: number, rules: RuleData[]) {
  const data = await client.ok<{ setPricingRules: { id: string; version: number; pricingRules: RuleData[] } }>(
    SET_PRICING_RULES,
    { input: { roomTypeId, version, rules } },
    token,
  );
  return data.setPricingRules;
}

/** The `reserved` count of each night of [from, to), as the API shows it. */
export async function reservedCounts(client: GraphQLClient, roomTypeId: string, from: string, to: string): Promise<number[]> {
  return pick(await readInventory(client, roomTypeId, from, to), 'reserved');
}

/** A field picked from each day, for compact comparisons. */
export const pick = <K extends keyof InventoryDayData>(days: InventoryDayData[], key: K) => days.map((day) => day[key]);
export const amounts = (days: InventoryDayData[], key: 'baseRate' | 'rate') => days.map((day) => day[key]?.amount ?? null);
