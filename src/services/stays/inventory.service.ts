import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Hotel } from '../../entities/catalog/hotel.entity.js';
import { InventoryNight } from '../../entities/stays/inventory-night.entity.js';
import { PricingRule } from '../../entities/stays/pricing-rule.entity.js';
import { RoomRate } from '../../entities/stays/room-rate.entity.js';
import { RoomType } from '../../entities/catalog/room-type.entity.js';
import type { Caller } from '../common/caller.js';
import { addDays, todayIn } from '../common/dates.js';
import { badInput, DomainError, ErrorCode, invalidState } from '../common/errors.js';
import { loadStayData, viewsFor, type DayView } from './inventory-days.js';
import { findOrNotFound } from '../common/lookup.js';
import { parseAmount } from '../common/money.js';
import { recordAvailabilityChange } from '../live/outbox.js';
import { sellLimit } from './pricing.js';
import { MAX_RANGE_NIGHTS, validateRange } from './stay.validation.js';
import { bumpVersion } from '../common/versioning.js';

export const MAX_TOTAL_ROOMS = 100_000;
export const MAX_PRICING_RULES = 20;

export interface SetInventoryData {
  roomTypeId: string;
  from: string;
  to: string;
  total: number;
}

export interface SetRatesData {
  roomTypeId: string;
  from: string;
  to: string;
  amount: string;
}

export interface SetPricingRulesData {
  roomTypeId: string;
  version: number;
  rules: { minOccupancyPercent: number; adjustmentPercent: number }[];
}

/** A night's numbers with its currency, for the GraphQL InventoryDay. */
export interface InventoryDay extends DayView {
  currency: string;
}

/**
 * Per-night inventory, base rates and pricing rules of a room type: staff of the
 * hotel or admins change them; anyone reads them. Every change writes its outbox
 * event in the same transaction.
 */
export class InventoryService {
  constructor(private readonly em: EntityManager) {}

  /** One entry per night of [from, to), nights without inventory included (nothing to sell there). */
  async days(roomType: RoomType, from: string, to: string): Promise<InventoryDay[]> {
    const dates = validateRange(from, to, MAX_RANGE_NIGHTS);
    const [hotel, data] = await Promise.all([
      roomType.hotel.loadOrFail({ dataloader: true }),
      loadStayData(this.em, [roomType.id], from, to),
    ]);
    return withCurrency(viewsFor(data, roomType.id, dates), hotel.currency);
  }

  async pricingRules(roomType: RoomType): Promise<PricingRule[]> {
    return this.em.find(PricingRule, { roomType: roomType.id }, { orderBy: { minOccupancyPercent: 'asc' } });
  }

  async setInventory(caller: Caller, data: SetInventoryData): Promise<InventoryDay[]> {
    const roomType = await this.managedRoomType(caller, data.roomTypeId);
    const dates = validateRange(data.from, data.to);
    if (!Number.isInteger(data.total) || data.total < 0 || data.total > MAX_TOTAL_ROOMS) {
      throw badInput('total', `must be an integer from 0 to ${MAX_TOTAL_ROOMS}`);
    }
    return this.transactional(async (tx) => {
      // FOR SHARE: the hotel's overbookingPercent cannot change until we commit.
      const hotel = await tx.findOneOrFail(Hotel, roomType.hotel.id, { lockMode: LockMode.PESSIMISTIC_READ });
      const limit = sellLimit(data.total, hotel.overbookingPercent);
      const existing = await this.lockNights(tx, roomType.id, data.from, data.to);
      const short = [...existing.values()].filter((night) => night.reserved > limit);
      if (short.length > 0) {
        throw invalidState(
          `a total of ${data.total} allows ${limit} to be sold, but ${short[0].date} already has ${short[0].reserved} reserved`,
        );
      }
      for (const date of dates) {
        const night = existing.get(date);
        if (night) {
          night.total = data.total;
          night.sellLimit = limit;
        } else {
          tx.create(InventoryNight, { roomType: roomType.id, hotel: hotel.id, date, total: data.total, sellLimit: limit });
        }
      }
      await tx.flush();
      return this.recordChange(tx, hotel, roomType.id, data.from, data.to, dates);
    });
  }

  async setRates(caller: Caller, data: SetRatesData): Promise<InventoryDay[]> {
    const roomType = await this.managedRoomType(caller, data.roomTypeId);
    const dates = validateRange(data.from, data.to);
    const hotel = await roomType.hotel.loadOrFail();
    const amountMinor = parseAmount(data.amount, hotel.currency);
    return this.transactional(async (tx) => {
      // Writers of a night's numbers take its row lock first, so their events reach
      // subscribers in the order the changes committed.
      await this.lockNights(tx, roomType.id, data.from, data.to);
      const existing = new Map(
        (await tx.find(RoomRate, { roomType: roomType.id, date: { $gte: data.from, $lt: data.to } })).map((rate) => [
          rate.date,
          rate,
        ]),
      );
      for (const date of dates) {
        const rate = existing.get(date);
        if (rate) rate.amountMinor = amountMinor;
        else tx.create(RoomRate, { roomType: roomType.id, hotel: hotel.id, date, amountMinor });
      }
      await tx.flush();
      return this.recordChange(tx, hotel, roomType.id, data.from, data.to, dates);
    });
  }

  async setPricingRules(caller: Caller, data: SetPricingRulesData): Promise<RoomType> {
    const roomType = await this.managedRoomType(caller, data.roomTypeId);
    const rules = validateRules(data.rules);
    const hotel = await roomType.hotel.loadOrFail();
    return this.transactional(async (tx) => {
      const current = await tx.findOneOrFail(RoomType, roomType.id);
      await tx.lock(current, LockMode.OPTIMISTIC, data.version);
      await bumpVersion(tx, current, data.version);
      const from = todayIn(hotel.timezone);
      const to = addDays(from, MAX_RANGE_NIGHTS);
      await this.lockNights(tx, roomType.id, from, to);
      await tx.nativeDelete(PricingRule, { roomType: roomType.id });
      for (const rule of rules) tx.create(PricingRule, { roomType: current.id, hotel: hotel.id, ...rule });
      await tx.flush();
      // The rules reprice every night on sale from today on.
      await this.recordChange(tx, hotel, roomType.id, from, to);
      return current;
    });
  }

  /**
   * A new overbookingPercent moves the sell limit of the hotel's nights from today
   * on. Runs in the caller's transaction (the hotel update), so both commit or neither.
   */
  async applyOverbooking(tx: EntityManager, hotel: Hotel): Promise<void> {
    const from = todayIn(hotel.timezone);
    const nights = await tx.find(
      InventoryNight,
      { hotel: hotel.id, date: { $gte: from } },
      { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { roomType: 'asc', date: 'asc' } },
    );
    const byRoomType = new Map<string, InventoryNight[]>();
    for (const night of nights) {
      const limit = sellLimit(night.total, hotel.overbookingPercent);
      if (night.reserved > limit) {
        throw invalidState(
          `overbooking of ${hotel.overbookingPercent}% allows ${limit} on ${night.date}, where ${night.reserved} are already reserved`,
        );
      }
      if (night.sellLimit === limit) continue;
      night.sellLimit = limit;
      const list = byRoomType.get(night.roomType.id) ?? [];
      list.push(night);
      byRoomType.set(night.roomType.id, list);
    }
    await tx.flush();
    for (const [roomTypeId, changed] of byRoomType) {
      const last = changed[changed.length - 1].date;
      await this.recordChange(tx, hotel, roomTypeId, changed[0].date, addDays(last, 1));
    }
  }

  /**
   * Writes the availability event for the nights of [from, to) with their values as
   * they now are: the `dates` given, or else every night that has inventory.
   */
  private async recordChange(
    tx: EntityManager,
    hotel: Hotel,
    roomTypeId: string,
    from: string,
    to: string,
    dates?: readonly string[],
  ): Promise<InventoryDay[]> {
    const data = await loadStayData(tx, [roomTypeId], from, to);
    dates ??= [...data.nights.get(roomTypeId)!.keys()].sort();
    const days = viewsFor(data, roomTypeId, dates);
    await recordAvailabilityChange(tx, { hotelId: hotel.id, roomTypeId, currency: hotel.currency, days });
    return withCurrency(days, hotel.currency);
  }

  private async managedRoomType(caller: Caller, roomTypeId: string): Promise<RoomType> {
    caller.require();
    const roomType = await findOrNotFound(this.em, RoomType, 'RoomType', roomTypeId);
    caller.requireHotelManager(roomType.hotel.id);
    return roomType;
  }

  /** Existing nights of [from, to), locked FOR UPDATE in date order (the order every locker uses). */
  private async lockNights(tx: EntityManager, roomTypeId: string, from: string, to: string) {
    const nights = await tx.find(
      InventoryNight,
      { roomType: roomTypeId, date: { $gte: from, $lt: to } },
      { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { date: 'asc' } },
    );
    return new Map(nights.map((night) => [night.date, night]));
  }

  /** Two staff creating the same new nights at once: one wins the insert, the other may retry. */
  private async transactional<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.em.transactional(work);
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw new DomainError(ErrorCode.BUSY, 'Another change to the same nights ran at the same time: retry');
      }
      throw error;
    }
  }
}

function withCurrency(days: DayView[], currency: string): InventoryDay[] {
  return days.map((day) => ({ ...day, currency }));
}

function validateRules(rules: SetPricingRulesData['rules']) {
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
