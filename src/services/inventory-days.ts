import type { EntityManager } from '@mikro-orm/postgresql';
import { InventoryNight } from '../entities/inventory-night.entity.js';
import { PricingRule } from '../entities/pricing-rule.entity.js';
import { RoomRate } from '../entities/room-rate.entity.js';
import { nightlyRate, type PricingRuleValue } from './pricing.js';

/** One night of one room type as clients see it; money in minor units. */
export interface DayView {
  date: string;
  total: number;
  reserved: number;
  sellLimit: number;
  available: number;
  baseRateMinor: number | null;
  rateMinor: number | null;
}

export interface NightCounts {
  total: number;
  reserved: number;
  sellLimit: number;
}

/** Every date gets a view; a night with no inventory row has nothing to sell. */
export function dayViews(
  dates: readonly string[],
  nights: ReadonlyMap<string, NightCounts>,
  rates: ReadonlyMap<string, number>,
  rules: readonly PricingRuleValue[],
): DayView[] {
  return dates.map((date) => {
    const night = nights.get(date) ?? { total: 0, reserved: 0, sellLimit: 0 };
    const baseRateMinor = rates.get(date) ?? null;
    return {
      date,
      total: night.total,
      reserved: night.reserved,
      sellLimit: night.sellLimit,
      available: Math.max(0, night.sellLimit - night.reserved),
      baseRateMinor,
      rateMinor: baseRateMinor === null ? null : nightlyRate(baseRateMinor, night.reserved, night.total, rules),
    };
  });
}

/** What the stored rows say about these room types on [from, to). */
export interface StayData {
  nights: Map<string, Map<string, InventoryNight>>;
  rates: Map<string, Map<string, number>>;
  rules: Map<string, PricingRuleValue[]>;
}

export async function loadStayData(
  em: EntityManager,
  roomTypeIds: readonly string[],
  from: string,
  to: string,
): Promise<StayData> {
  const range = { roomType: { $in: [...roomTypeIds] }, date: { $gte: from, $lt: to } };
  const [nightRows, rateRows, ruleRows] = await Promise.all([
    em.find(InventoryNight, range),
    em.find(RoomRate, range),
    em.find(PricingRule, { roomType: { $in: [...roomTypeIds] } }),
  ]);
  const data: StayData = { nights: new Map(), rates: new Map(), rules: new Map() };
  for (const id of roomTypeIds) {
    data.nights.set(id, new Map());
    data.rates.set(id, new Map());
    data.rules.set(id, []);
  }
  for (const night of nightRows) data.nights.get(night.roomType.id)!.set(night.date, night);
  for (const rate of rateRows) data.rates.get(rate.roomType.id)!.set(rate.date, rate.amountMinor);
  for (const rule of ruleRows) data.rules.get(rule.roomType.id)!.push(rule);
  return data;
}

export function viewsFor(data: StayData, roomTypeId: string, dates: readonly string[]): DayView[] {
  return dayViews(dates, data.nights.get(roomTypeId)!, data.rates.get(roomTypeId)!, data.rules.get(roomTypeId)!);
}
