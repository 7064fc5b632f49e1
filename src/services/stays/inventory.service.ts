import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Hotel } from '../../entities/catalog/hotel.entity.js';
import { RoomType } from '../../entities/catalog/room-type.entity.js';
import { PricingRule } from '../../entities/stays/pricing-rule.entity.js';
import { RoomTypeInventory } from '../../entities/stays/room-type-inventory.entity.js';
import { RoomTypeRate } from '../../entities/stays/room-type-rate.entity.js';
import type { Caller } from '../common/caller.js';
import { addDays, todayIn } from '../common/dates.js';
import { badInput, DomainError, ErrorCode, invalidState } from '../common/errors.js';
import { findManaged } from '../common/lookup.js';
import { parseAmount } from '../common/money.js';
import { bumpVersion } from '../common/versioning.js';
import { recordInventoryChange } from './availability.js';
import { daysOf, type InventoryDay } from './inventory-day.js';
import { sellLimit, type PricingRuleValue } from './pricing.js';
import { MAX_RANGE_NIGHTS, validateRange } from './stay.validation.js';
import { lockInventory, readInventory, touchInventory, type InventoryRow } from './stays.store.js';
import { recordCatalogChange } from '../catalog/catalog-events.js';
import type { StayViews } from './stay-cache.js';

export const MAX_TOTAL_ROOMS = 100_000;
export const MAX_PRICING_RULES = 20;

/** The dates [from, to) of one room type. */
export interface DateRange {
  roomTypeId: string;
  from: string;
  to: string;
}

export interface SetInventoryData extends DateRange {
  total: number;
}

export interface SetRatesData extends DateRange {
  amount: string;
}

export interface SetPricingRulesData {
  roomTypeId: string;
  version: number;
  rules: readonly PricingRuleValue[];
}

/**
 * Per-date inventory, base rates and pricing rules of a room type: staff of the hotel
 * or admins change them; anyone reads them. Every change locks the inventory rows it
 * touches (the stays store's one locking rule) and writes its availability event in
 * the same transaction.
 */
export class InventoryService {
  constructor(
    private readonly em: EntityManager,
    private readonly views: StayViews,
  ) {}

  /** One day per date of [from, to), dates without inventory included (nothing to sell there). */
  async days(roomType: RoomType, from: string, to: string): Promise<InventoryDay[]> {
    const dates = validateRange(from, to, MAX_RANGE_NIGHTS);
    const [hotel, stored] = await Promise.all([
      roomType.hotel.loadOrFail({ dataloader: true }),
      readInventory(this.em, [roomType.id], from, to),
    ]);
    return daysOf(stored.get(roomType.id)!, dates, hotel.currency);
  }

  async pricingRules(roomType: RoomType): Promise<PricingRule[]> {
    return this.em.find(PricingRule, { roomType: roomType.id }, { orderBy: { minOccupancyPercent: 'asc' } });
  }

  async setInventory(caller: Caller, data: SetInventoryData): Promise<InventoryDay[]> {
    const roomType = await findManaged(this.em, caller, RoomType, data.roomTypeId);
    const dates = validateRange(data.from, data.to);
    if (!Number.isInteger(data.total) || data.total < 0 || data.total > MAX_TOTAL_ROOMS) {
      throw badInput('total', `must be an integer from 0 to ${MAX_TOTAL_ROOMS}`);
    }
    return this.changing(roomType.hotel.id, data, async (tx) => {
      // FOR SHARE: the hotel's overbookingPercent cannot change until we commit.
      const hotel = await tx.findOneOrFail(Hotel, roomType.hotel.id, { lockMode: LockMode.PESSIMISTIC_READ });
      const limit = sellLimit(data.total, hotel.overbookingPercent);
      const locked = await lockInventory(tx, data);
      const short = locked.find((row) => row.reserved > limit);
      if (short) {
        throw invalidState(
          `a total of ${data.total} allows ${limit} to be sold, but ${short.date} already has ${short.reserved} reserved`,
        );
      }
      const existing = await this.inventoryOf(tx, data);
      for (const date of dates) {
        const row = existing.get(date);
        if (row) {
          row.total = data.total;
          row.sellLimit = limit;
        } else {
          tx.create(RoomTypeInventory, { roomType: roomType.id, hotel: hotel.id, date, total: data.total, sellLimit: limit });
        }
      }
      await tx.flush();
      return recordInventoryChange(tx, hotel, roomType.id, { ...data, dates });
    });
  }

  async setRates(caller: Caller, data: SetRatesData): Promise<InventoryDay[]> {
    const roomType = await findManaged(this.em, caller, RoomType, data.roomTypeId);
    const dates = validateRange(data.from, data.to);
    const hotel = await roomType.hotel.loadOrFail();
    const amountMinor = parseAmount(data.amount, hotel.currency);
    return this.changing(hotel.id, data, async (tx) => {
      // Writers of a date's numbers take its row lock first (and bump its version), so
      // their events reach subscribers in the order the changes committed.
      await touchInventory(tx, data);
      const range = { roomType: data.roomTypeId, date: { $gte: data.from, $lt: data.to } };
      const existing = new Map((await tx.find(RoomTypeRate, range)).map((rate) => [rate.date, rate]));
      for (const date of dates) {
        const rate = existing.get(date);
        if (rate) rate.amountMinor = amountMinor;
        else tx.create(RoomTypeRate, { roomType: roomType.id, hotel: hotel.id, date, amountMinor });
      }
      await tx.flush();
      return recordInventoryChange(tx, hotel, roomType.id, { ...data, dates });
    });
  }

  async setPricingRules(caller: Caller, data: SetPricingRulesData): Promise<RoomType> {
    const roomType = await findManaged(this.em, caller, RoomType, data.roomTypeId);
    const rules = validateRules(data.rules);
    const hotel = await roomType.hotel.loadOrFail();
    return this.changing(hotel.id, undefined, async (tx) => {
      const current = await tx.findOneOrFail(RoomType, roomType.id);
      await tx.lock(current, LockMode.OPTIMISTIC, data.version);
      await bumpVersion(tx, current, data.version);
      // The rules reprice every date on sale from today on.
      const from = todayIn(hotel.timezone);
      const to = addDays(from, MAX_RANGE_NIGHTS);
      await touchInventory(tx, { roomTypeId: roomType.id, from, to });
      await tx.nativeDelete(PricingRule, { roomType: roomType.id });
      for (const rule of rules) tx.create(PricingRule, { roomType: current.id, hotel: hotel.id, ...rule });
      await tx.flush();
      await recordInventoryChange(tx, hotel, roomType.id, { from, to });
      // The room type's version moved, and searches show it.
      await recordCatalogChange(tx, hotel.id);
      return current;
    });
  }

  /**
   * A new overbookingPercent moves the sell limit of the hotel's inventory from today
   * on. Runs in the caller's transaction (the hotel update), so both commit or neither.
   */
  async applyOverbooking(tx: EntityManager, hotel: Hotel): Promise<void> {
    const from = todayIn(hotel.timezone);
    const locked = await lockInventory(tx, { hotelId: hotel.id, from });
    const changed = new Map<string, InventoryRow[]>();
    for (const row of locked) {
      const limit = sellLimit(row.total, hotel.overbookingPercent);
      if (row.reserved > limit) {
        throw invalidState(
          `overbooking of ${hotel.overbookingPercent}% allows ${limit} on ${row.date}, where ${row.reserved} are already reserved`,
        );
      }
      if (row.sellLimit === limit) continue;
      const rows = changed.get(row.roomTypeId) ?? [];
      rows.push(row);
      changed.set(row.roomTypeId, rows);
    }
    for (const [roomTypeId, rows] of changed) {
      const range = { roomTypeId, from: rows[0].date, to: addDays(rows[rows.length - 1].date, 1) };
      const stored = await this.inventoryOf(tx, range);
      for (const row of rows) stored.get(row.date)!.sellLimit = sellLimit(row.total, hotel.overbookingPercent);
      await tx.flush();
      await recordInventoryChange(tx, hotel, roomTypeId, range);
    }
  }

  /** The inventory entities of a range (already locked by this transaction), by date. */
  private async inventoryOf(tx: EntityManager, range: DateRange): Promise<Map<string, RoomTypeInventory>> {
    const rows = await tx.find(RoomTypeInventory, { roomType: range.roomTypeId, date: { $gte: range.from, $lt: range.to } });
    return new Map(rows.map((row) => [row.date, row]));
  }

  /**
   * A change to a hotel's nights (these, or all): one transaction, then this server's
   * search cache forgets them at once. Two staff creating the same new dates at once:
   * one wins the insert, the other may retry.
   */
  private async changing<T>(
    hotelId: string,
    nights: DateRange | undefined,
    work: (tx: EntityManager) => Promise<T>,
  ): Promise<T> {
    let result: T;
    try {
      result = await this.em.transactional(work);
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw new DomainError(ErrorCode.BUSY, 'Another change to the same dates ran at the same time: retry');
      }
      throw error;
    }
    this.views.changedHere(hotelId, nights);
    return result;
  }
}

function validateRules(rules: readonly PricingRuleValue[]): PricingRuleValue[] {
  if (rules.length > MAX_PRICING_RULES) throw badInput('rules', `at most ${MAX_PRICING_RULES} rules`);
  const seen = new Set<number>();
  return rules.map(({ minOccupancyPercent, adjustmentPercent }) => {
    if (!Number.isInteger(minOccupancyPercent) || minOccupancyPercent < 0 || minOccupancyPercent > 100) {
      throw badInput('minOccupancyPercent', 'must be an integer from 0 to 100');
    }
    if (!Number.isInteger(adjustmentPercent) || adjustmentPercent < -90 || adjustmentPercent > 500) {
      throw badInput('adjustmentPercent', 'must be an integer from -90 to 500');
    }
    if (seen.has(minOccupancyPercent)) throw badInput('minOccupancyPercent', 'thresholds must be distinct');
    seen.add(minOccupancyPercent);
    return { minOccupancyPercent, adjustmentPercent };
  });
}
