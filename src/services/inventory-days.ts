import type { EntityManager } from '@mikro-orm/postgresql';
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
  nights: Map<string, Map<string, NightCounts>>;
  rates: Map<string, Map<string, number>>;
  rules: Map<string, PricingRuleValue[]>;
}

/**
 * Plain rows, not entities: these reads only feed computed views, and hydrating
 * entities was most of the cost of a search (see bench/RESULTS.md).
 */
export async function loadStayData(
  em: EntityManager,
  roomTypeIds: readonly string[],
  from: string,
  to: string,
): Promise<StayData> {
  const ids = roomTypeIds.map(() => '?').join(', ');
  const [nightRows, rateRows, ruleRows] = await Promise.all([
    em.execute<{ room_type_id: string; date: string; total: number; reserved: number; sell_limit: number }[]>(
      `select room_type_id, date::text as date, total, reserved, sell_limit from room_type_inventory
        where room_type_id in (${ids}) and date >= ? and date < ?`,
      [...roomTypeIds, from, to],
    ),
    em.execute<{ room_type_id: string; date: string; amount_minor: string | number }[]>(
      `select room_type_id, date::text as date, amount_minor from room_type_rate
        where room_type_id in (${ids}) and date >= ? and date < ?`,
      [...roomTypeIds, from, to],
    ),
    em.execute<{ room_type_id: string; min_occupancy_percent: number; adjustment_percent: number }[]>(
      `select room_type_id, min_occupancy_percent, adjustment_percent from pricing_rule where room_type_id in (${ids})`,
      [...roomTypeIds],
    ),
  ]);
  const data: StayData = { nights: new Map(), rates: new Map(), rules: new Map() };
  for (const id of roomTypeIds) {
    data.nights.set(id, new Map());
    data.rates.set(id, new Map());
    data.rules.set(id, []);
  }
  for (const n of nightRows) {
    data.nights.get(n.room_type_id)!.set(n.date, { total: n.total, reserved: n.reserved, sellLimit: n.sell_limit });
  }
  for (const r of rateRows) data.rates.get(r.room_type_id)!.set(r.date, Number(r.amount_minor));
  for (const r of ruleRows) {
    data.rules.get(r.room_type_id)!.push({ minOccupancyPercent: r.min_occupancy_percent, adjustmentPercent: r.adjustment_percent });
  }
  return data;
}

export function viewsFor(data: StayData, roomTypeId: string, dates: readonly string[]): DayView[] {
  return dayViews(dates, data.nights.get(roomTypeId)!, data.rates.get(roomTypeId)!, data.rules.get(roomTypeId)!);
}
