import { nightlyRate, type PricingRuleValue } from './pricing.js';
import type { InventoryCounts, InventoryRange } from './stays.store.js';

/**
 * One room type on one date as clients see it (the contract's InventoryDay): the
 * stored counts, what is left, the base rate and the rate its occupancy gives. Money
 * in minor units of `currency`. `version` is the inventory row's (0 when there is no
 * row): every write of anything a day shows bumps it, so of two views of a day the
 * one with the higher version is the newer (the search cache orders events by it).
 */
export interface InventoryDay extends InventoryCounts {
  date: string;
  version: number;
  available: number;
  baseRateMinor: number | null;
  rateMinor: number | null;
  currency: string;
}

/** A day's stored counts and the version of its row. */
export type VersionedCounts = InventoryCounts & { version: number };

const NOTHING: VersionedCounts = { total: 0, reserved: 0, sellLimit: 0, version: 0 };

/** Every date gets a day; a date with no inventory row has nothing to sell. */
export function inventoryDays(
  dates: readonly string[],
  counts: ReadonlyMap<string, VersionedCounts>,
  rates: ReadonlyMap<string, number>,
  rules: readonly PricingRuleValue[],
  currency: string,
): InventoryDay[] {
  return dates.map((date) => {
    const { total, reserved, sellLimit, version } = counts.get(date) ?? NOTHING;
    const baseRateMinor = rates.get(date) ?? null;
    return {
      date,
      version,
      total,
      reserved,
      sellLimit,
      available: Math.max(0, sellLimit - reserved),
      baseRateMinor,
      rateMinor: baseRateMinor === null ? null : nightlyRate(baseRateMinor, reserved, total, rules),
      currency,
    };
  });
}

/** The days of these dates as a range read from the store has them, in the hotel's currency. */
export function daysOf(range: InventoryRange, dates: readonly string[], currency: string): InventoryDay[] {
  return inventoryDays(dates, range.inventory, range.rates, range.rules, currency);
}
