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

/** One row of `loadStayData`'s statement: a night ('n'), a base rate ('r') or a pricing rule ('p'). */
interface StayDataRow {
  kind: 'n' | 'r' | 'p';
  room_type_id: string;
  date: string | null;
  a: string | number;
  b: string | number | null;
  c: string | number | null;
}

/**
 * Plain rows, not entities: these reads only feed computed views, and hydrating
 * entities was most of the cost of a search (see bench/RESULTS.md). One statement
 * (nights, rates and rules in one result), so one round trip on one connection.
 */
export async function loadStayData(
  em: EntityManager,
  roomTypeIds: readonly string[],
  from: string,
  to: string,
): Promise<StayData> {
  const ids = `{${roomTypeIds.join(',')}}`;
  const rows = await em.execute<StayDataRow[]>(
    `select 'n' as kind, room_type_id, date::text as date, total::bigint as a, reserved::bigint as b, sell_limit::bigint as c
       from room_type_inventory where room_type_id = any(?::uuid[]) and date >= ? and date < ?
     union all
     select 'r', room_type_id, date::text, amount_minor, null, null
       from room_type_rate where room_type_id = any(?::uuid[]) and date >= ? and date < ?
     union all
     select 'p', room_type_id, null, min_occupancy_percent, adjustment_percent, null
       from pricing_rule where room_type_id = any(?::uuid[])`,
    [ids, from, to, ids, from, to, ids],
  );
  const data: StayData = { nights: new Map(), rates: new Map(), rules: new Map() };
  for (const id of roomTypeIds) {
    data.nights.set(id, new Map());
    data.rates.set(id, new Map());
    data.rules.set(id, []);
  }
  for (const row of rows) {
    const id = row.room_type_id;
    if (row.kind === 'n') {
      data.nights.get(id)!.set(row.date!, { total: Number(row.a), reserved: Number(row.b), sellLimit: Number(row.c) });
    } else if (row.kind === 'r') {
      data.rates.get(id)!.set(row.date!, Number(row.a));
    } else {
      data.rules.get(id)!.push({ minOccupancyPercent: Number(row.a), adjustmentPercent: Number(row.b) });
    }
  }
  return data;
}

export function viewsFor(data: StayData, roomTypeId: string, dates: readonly string[]): DayView[] {
  return dayViews(dates, data.nights.get(roomTypeId)!, data.rates.get(roomTypeId)!, data.rules.get(roomTypeId)!);
}
