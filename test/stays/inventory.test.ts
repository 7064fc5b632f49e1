import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addDays, nightsOf } from '../../src/services/common/dates.js';
import {
  daysFromNow,
  invariantViolations,
  reserveInput,
  reserveOk,
  SET_INVENTORY,
  SET_PRICING_RULES,
  SET_RATES,
  stockedRoomType,
} from '../helpers/booking.js';
import { createHotel, createRoomType, HOTEL, UPDATE_HOTEL } from '../helpers/catalog.js';
import { errorCode } from '../helpers/graphql.js';
import { amounts, pick, readInventory, readStock, setInventory, setPricingRules, setRates } from '../helpers/inventory.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let admin: string;
let guest: string;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.token({ sub: 'admin-inv', role: 'admin' });
  guest = await server.token({ sub: 'guest-inv', role: 'guest' });
});

afterAll(() => server.stop());

const MISSING_ID = '0190a000-0000-7000-8000-000000000000';

describe('who may change inventory, rates and pricing rules', () => {
  const MUTATIONS: Record<string, [string, (roomTypeId: string, from: string, to: string) => Record<string, unknown>]> = {
    setInventory: [SET_INVENTORY, (roomTypeId, from, to) => ({ roomTypeId, from, to, total: 3 })],
    setRates: [SET_RATES, (roomTypeId, from, to) => ({ roomTypeId, from, to, amount: '55.00' })],
    setPricingRules: [SET_PRICING_RULES, (roomTypeId) => ({ roomTypeId, version: 1, rules: [{ minOccupancyPercent: 0, adjustmentPercent: 10 }] })],
  };

  it.each(Object.keys(MUTATIONS))('%s: guest and staff of another hotel are FORBIDDEN, no token UNAUTHENTICATED, staff of the hotel may', async (name) => {
    const [document, input] = MUTATIONS[name];
    const { hotel, roomType, from, to } = await stockedRoomType(server.client, admin, { nights: 3 });
    const other = await createHotel(server.client, admin);
    const refused: [string, string | undefined][] = [
      ['FORBIDDEN', guest],
      ['FORBIDDEN', await server.token({ sub: 'staff-other', role: 'staff', hotels: [other.id] })],
      ['UNAUTHENTICATED', undefined],
    ];
    const before = await readStock(server.client, roomType.id, from, to);
    for (const [code, token] of refused) {
      const result = await server.client.request(document, { input: input(roomType.id, from, to) }, token);
      expect(errorCode(result)).toBe(code);
      expect(result.data).toBeNull();
    }
    expect(await readStock(server.client, roomType.id, from, to)).toEqual(before);

    const staff = await server.token({ sub: 'staff-own', role: 'staff', hotels: [hotel.id] });
    const allowed = await server.client.request(document, { input: input(roomType.id, from, to) }, staff);
    expect(allowed.errors).toBeUndefined();
    expect(await readStock(server.client, roomType.id, from, to)).not.toEqual(before);
  });
});

describe('setInventory', () => {
  it.each([
    [10, 10, 11],
    [7, 15, 8],
    [0, 10, 0],
    [3, 0, 3],
    [5, 100, 10],
    [9, 33, 11],
  ])('total %i at %i%% overbooking sells at most %i on every night of [from, to)', async (total, overbookingPercent, limit) => {
    const hotel = await createHotel(server.client, admin, { overbookingPercent });
    const roomType = await createRoomType(server.client, admin, hotel.id);
    const from = daysFromNow(2);
    const days = await setInventory(server.client, admin, roomType.id, from, addDays(from, 3), total);
    const expected = nightsOf(from, addDays(from, 3)).map((date) => ({
      date, total, reserved: 0, sellLimit: limit, available: limit, baseRate: null, rate: null,
    }));
    expect(days).toEqual(expected);
    expect(await readInventory(server.client, roomType.id, from, addDays(from, 3))).toEqual(expected);
  });

  it('refuses bad ranges, dates and totals with BAD_USER_INPUT and changes nothing', async () => {
    const { roomType, from, to } = await stockedRoomType(server.client, admin, { nights: 5 });
    const before = await readInventory(server.client, roomType.id, from, addDays(from, 366));
    const cases: Record<string, unknown>[] = [
      { from, to: from },
      { from: to, to: from },
      { from, to: addDays(from, 367) },
      { from: '2026-02-30', to },
      { from, to: '2026/12/01' },
      { from: 'tomorrow', to },
      { total: -1 },
    ];
    for (const overrides of cases) {
      const input = { roomTypeId: roomType.id, from, to, total: 4, ...overrides };
      expect([overrides, errorCode(await server.client.request(SET_INVENTORY, { input }, admin))]).toEqual([overrides, 'BAD_USER_INPUT']);
    }
    expect(await readInventory(server.client, roomType.id, from, addDays(from, 366))).toEqual(before);

    // 366 nights is the most one call may set.
    expect(await setInventory(server.client, admin, roomType.id, from, addDays(from, 366), 4)).toHaveLength(366);
  });

  it('answers NOT_FOUND for an unknown room type', async () => {
    for (const roomTypeId of [MISSING_ID, 'nope']) {
      const input = { roomTypeId, from: daysFromNow(1), to: daysFromNow(2), total: 1 };
      expect(errorCode(await server.client.request(SET_INVENTORY, { input }, admin))).toBe('NOT_FOUND');
    }
  });

  it('refuses a total whose sell limit falls below what is reserved on any night with INVALID_STATE, changing no night', async () => {
    const { hotel, roomType, from } = await stockedRoomType(server.client, admin, { total: 10, nights: 4 });
    const to = addDays(from, 4);
    await reserveOk(server.client, guest, reserveInput(roomType.id, addDays(from, 1), addDays(from, 3), { rooms: 4 }));
    await reserveOk(server.client, guest, reserveInput(roomType.id, addDays(from, 2), addDays(from, 3), { rooms: 2 }));
    const before = await readInventory(server.client, roomType.id, from, to);
    expect(pick(before, 'reserved')).toEqual([0, 4, 6, 0]);

    // total 5 at 10% sells at most 5: the third night already has 6.
    const refused = await server.client.request(SET_INVENTORY, { input: { roomTypeId: roomType.id, from, to, total: 5 } }, admin);
    expect(errorCode(refused)).toBe('INVALID_STATE');
    expect(await readInventory(server.client, roomType.id, from, to)).toEqual(before);

    // total 6 sells at most 6: exactly what is reserved is fine, and every night is updated.
    const days = await setInventory(server.client, admin, roomType.id, from, to, 6);
    expect(pick(days, 'total')).toEqual([6, 6, 6, 6]);
    expect(pick(days, 'sellLimit')).toEqual([6, 6, 6, 6]);
    expect(pick(days, 'reserved')).toEqual([0, 4, 6, 0]);
    expect(pick(days, 'available')).toEqual([6, 2, 0, 6]);
    expect(await readInventory(server.client, roomType.id, from, to)).toEqual(days);
    expect(await invariantViolations(server.orm, [hotel.id])).toEqual([]);
  });

  it('setting it again over existing nights updates them and leaves the rest and the rates alone', async () => {
    const { roomType, from } = await stockedRoomType(server.client, admin, { total: 10, nights: 3, rate: '80.00' });
    await setInventory(server.client, admin, roomType.id, addDays(from, 1), addDays(from, 5), 4);
    const days = await readInventory(server.client, roomType.id, from, addDays(from, 5));
    expect(pick(days, 'total')).toEqual([10, 4, 4, 4, 4]);
    expect(pick(days, 'sellLimit')).toEqual([11, 4, 4, 4, 4]);
    expect(amounts(days, 'baseRate')).toEqual(['80.00', '80.00', '80.00', null, null]);
  });
});

describe("a hotel's overbookingPercent", () => {
  async function hotelNow(id: string) {
    const { hotel } = await server.client.ok(HOTEL, { id });
    return { version: hotel.version, overbookingPercent: hotel.overbookingPercent };
  }

  it('moves the sell limit of its nights from today on, not of past nights', async () => {
    const { hotel, roomType, from } = await stockedRoomType(server.client, admin, { total: 10, nights: 3, startInDays: 0 });
    const yesterday = addDays(from, -1);
    await setInventory(server.client, admin, roomType.id, yesterday, from, 10);
    const second = await createRoomType(server.client, admin, hotel.id);
    await setInventory(server.client, admin, second.id, from, addDays(from, 2), 20);

    await server.client.ok(UPDATE_HOTEL, { input: { id: hotel.id, version: 1, overbookingPercent: 25 } }, admin);
    expect(pick(await readInventory(server.client, roomType.id, yesterday, addDays(from, 3)), 'sellLimit')).toEqual([11, 12, 12, 12]);
    expect(pick(await readInventory(server.client, second.id, from, addDays(from, 2)), 'sellLimit')).toEqual([25, 25]);

    await server.client.ok(UPDATE_HOTEL, { input: { id: hotel.id, version: 2, overbookingPercent: 0 } }, admin);
    const days = await readInventory(server.client, roomType.id, yesterday, addDays(from, 3));
    expect(pick(days, 'sellLimit')).toEqual([11, 10, 10, 10]);
    expect(pick(days, 'available')).toEqual([11, 10, 10, 10]);
  });

  it('refuses a change that would put a night below what is reserved with INVALID_STATE, changing neither hotel nor nights', async () => {
    const { hotel, roomType, from, to } = await stockedRoomType(server.client, admin, { total: 10, nights: 4 });
    await reserveOk(server.client, guest, reserveInput(roomType.id, addDays(from, 2), addDays(from, 3), { rooms: 11 }));
    const before = await readInventory(server.client, roomType.id, from, to);
    expect(pick(before, 'sellLimit')).toEqual([11, 11, 11, 11]);

    // 5% of 10 sells at most 10, where 11 are reserved.
    const refused = await server.client.request(UPDATE_HOTEL, { input: { id: hotel.id, version: 1, overbookingPercent: 5 } }, admin);
    expect(errorCode(refused)).toBe('INVALID_STATE');
    expect(await hotelNow(hotel.id)).toEqual({ version: 1, overbookingPercent: 10 });
    expect(await readInventory(server.client, roomType.id, from, to)).toEqual(before);

    // 15% still allows 11: accepted with the same version.
    await server.client.ok(UPDATE_HOTEL, { input: { id: hotel.id, version: 1, overbookingPercent: 15 } }, admin);
    expect(await hotelNow(hotel.id)).toEqual({ version: 2, overbookingPercent: 15 });
    expect(await invariantViolations(server.orm, [hotel.id])).toEqual([]);
  });
});

describe('setRates', () => {
  it.each([
    ['129.5', '129.50'],
    ['129.50', '129.50'],
    ['0', '0.00'],
    ['7', '7.00'],
  ])('takes %p in EUR and shows it as %p on every night', async (amount, shown) => {
    const { roomType, from } = await stockedRoomType(server.client, admin, { nights: 2 });
    const money = { amount: shown, currency: 'EUR' };
    const days = await setRates(server.client, admin, roomType.id, from, addDays(from, 2), amount);
    expect(days.map((d) => [d.baseRate, d.rate])).toEqual([[money, money], [money, money]]);
    expect(await readInventory(server.client, roomType.id, from, addDays(from, 2))).toEqual(days);
  });

  it('refuses amounts that are not decimals in the currency precision with BAD_USER_INPUT, changing nothing', async () => {
    const { roomType, from, to } = await stockedRoomType(server.client, admin, { nights: 2, rate: '100.00' });
    const before = await readInventory(server.client, roomType.id, from, to);
    for (const amount of ['129.505', '-1', 'abc', '1e3', '', '1,50', '0x10']) {
      const result = await server.client.request(SET_RATES, { input: { roomTypeId: roomType.id, from, to, amount } }, admin);
      expect([amount, errorCode(result)]).toEqual([amount, 'BAD_USER_INPUT']);
    }
    expect(await readInventory(server.client, roomType.id, from, to)).toEqual(before);
  });

  it('uses the precision of a JPY hotel: whole yen only', async () => {
    const { roomType, from, to } = await stockedRoomType(server.client, admin, { nights: 2, rate: '15000', hotel: { currency: 'JPY' } });
    const days = await readInventory(server.client, roomType.id, from, to);
    expect(days.map((d) => [d.baseRate, d.rate])).toEqual(Array(2).fill([{ amount: '15000', currency: 'JPY' }, { amount: '15000', currency: 'JPY' }]));
    const refused = await server.client.request(SET_RATES, { input: { roomTypeId: roomType.id, from, to, amount: '150.5' } }, admin);
    expect(errorCode(refused)).toBe('BAD_USER_INPUT');
    expect(await readInventory(server.client, roomType.id, from, to)).toEqual(days);
  });

  it('leaves baseRate and rate null on a night without a rate', async () => {
    const hotel = await createHotel(server.client, admin);
    const roomType = await createRoomType(server.client, admin, hotel.id);
    const from = daysFromNow(1);
    await setInventory(server.client, admin, roomType.id, from, addDays(from, 3), 5);
    await setRates(server.client, admin, roomType.id, from, addDays(from, 2), '90.00');
    await setRates(server.client, admin, roomType.id, addDays(from, 1), addDays(from, 2), '95.5');
    const days = await readInventory(server.client, roomType.id, from, addDays(from, 3));
    expect(amounts(days, 'baseRate')).toEqual(['90.00', '95.50', null]);
    expect(amounts(days, 'rate')).toEqual(['90.00', '95.50', null]);
  });
});

describe('setPricingRules', () => {
  const rule = (minOccupancyPercent: number, adjustmentPercent: number) => ({ minOccupancyPercent, adjustmentPercent });

  it('replaces the rules, bumps the version, refuses a stale version, and clears on an empty list', async () => {
    const { roomType, from, to } = await stockedRoomType(server.client, admin, { nights: 1 });
    const set = await setPricingRules(server.client, admin, roomType.id, 1, [rule(80, 50), rule(0, 0), rule(50, 20)]);
    expect(set).toEqual({ id: roomType.id, version: 2, pricingRules: [rule(0, 0), rule(50, 20), rule(80, 50)] });

    const replaced = await setPricingRules(server.client, admin, roomType.id, 2, [rule(30, -10)]);
    expect(replaced.version).toBe(3);
    expect((await readStock(server.client, roomType.id, from, to)).pricingRules).toEqual([rule(30, -10)]);

    const stale = await server.client.request(SET_PRICING_RULES, { input: { roomTypeId: roomType.id, version: 2, rules: [rule(10, 10)] } }, admin);
    expect(errorCode(stale)).toBe('VERSION_CONFLICT');
    expect(await readStock(server.client, roomType.id, from, to)).toMatchObject({ version: 3, pricingRules: [rule(30, -10)] });

    expect(await setPricingRules(server.client, admin, roomType.id, 3, [])).toEqual({ id: roomType.id, version: 4, pricingRules: [] });
    expect((await readStock(server.client, roomType.id, from, to)).pricingRules).toEqual([]);
  });

  it('refuses duplicate thresholds and out-of-range percents with BAD_USER_INPUT, changing nothing', async () => {
    const { roomType, from, to } = await stockedRoomType(server.client, admin, { nights: 1 });
    await setPricingRules(server.client, admin, roomType.id, 1, [rule(40, 15)]);
    const before = await readStock(server.client, roomType.id, from, to);
    const bad = [[rule(50, 10), rule(50, 20)], [rule(-1, 0)], [rule(101, 0)], [rule(0, -91)], [rule(0, 501)]];
    for (const rules of bad) {
      const result = await server.client.request(SET_PRICING_RULES, { input: { roomTypeId: roomType.id, version: 2, rules } }, admin);
      expect([rules, errorCode(result)]).toEqual([rules, 'BAD_USER_INPUT']);
    }
    expect(await readStock(server.client, roomType.id, from, to)).toEqual(before);

    const edges = await setPricingRules(server.client, admin, roomType.id, 2, [rule(100, 500), rule(0, -90)]);
    expect(edges.pricingRules).toEqual([rule(0, -90), rule(100, 500)]);
  });
});

describe('dynamic pricing on InventoryDay.rate', () => {
  it('follows the occupancy of each night through the rule with the highest threshold reached', async () => {
    const { hotel, roomType, from } = await stockedRoomType(server.client, admin, { total: 10, nights: 2, rate: '100.00' });
    await setPricingRules(server.client, admin, roomType.id, 1, [
      { minOccupancyPercent: 0, adjustmentPercent: 0 },
      { minOccupancyPercent: 50, adjustmentPercent: 20 },
      { minOccupancyPercent: 80, adjustmentPercent: 50 },
    ]);
    const night = addDays(from, 1);
    const steps: [number, string, string][] = [
      // rooms reserved now, what they were charged (priced at the occupancy before), the night's rate after
      [4, '400.00', '100.00'],
      [1, '100.00', '120.00'],
      [2, '240.00', '120.00'],
      [1, '120.00', '150.00'],
    ];
    for (const [rooms, charged, rate] of steps) {
      const reservation = await reserveOk(server.client, guest, reserveInput(roomType.id, night, addDays(night, 1), { rooms }));
      expect(reservation.total).toEqual({ amount: charged, currency: 'EUR' });
      const days = await readInventory(server.client, roomType.id, from, addDays(from, 2));
      expect([amounts(days, 'baseRate'), amounts(days, 'rate')]).toEqual([['100.00', '100.00'], ['100.00', rate]]);
    }
    expect(pick(await readInventory(server.client, roomType.id, night, addDays(night, 1)), 'reserved')).toEqual([8]);
    expect(await invariantViolations(server.orm, [hotel.id])).toEqual([]);
  });

  it.each([
    ['EUR', '0.05', 50, '0.08'],
    ['EUR', '10.01', 5, '10.51'],
    ['EUR', '0.05', -50, '0.03'],
    ['EUR', '10.00', -90, '1.00'],
    ['EUR', '0.01', 500, '0.06'],
    ['JPY', '101', 50, '152'],
    ['JPY', '99', -50, '50'],
  ])('in %s, base %p adjusted by %i%% rounds half-up to %p', async (currency, base, adjustmentPercent, rate) => {
    const { roomType, from, to } = await stockedRoomType(server.client, admin, { total: 4, nights: 1, rate: base, hotel: { currency } });
    await setPricingRules(server.client, admin, roomType.id, 1, [{ minOccupancyPercent: 0, adjustmentPercent }]);
    const [day] = await readInventory(server.client, roomType.id, from, to);
    expect([day.baseRate, day.rate]).toEqual([{ amount: base, currency }, { amount: rate, currency }]);
  });
});
