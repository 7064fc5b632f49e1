import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Orm } from '../../src/infra/database.js';
import { formatAmount } from '../../src/services/common/money.js';
import { query, sql } from '../../src/services/common/sql.js';
import { availabilityEvent } from '../../src/services/stays/availability.js';
import { inventoryDays, type VersionedCounts } from '../../src/services/stays/inventory-day.js';
import { nightlyRate, type PricingRuleValue } from '../../src/services/stays/pricing.js';
import { availabilityDaysSql, moneyJsonSql, nightlyRateSql } from '../../src/services/stays/stays.store.js';
import { addDays } from '../../src/services/common/dates.js';
import { z } from 'zod';
import { openTestDatabase, testConfig } from '../helpers/server.js';

/**
 * The hold prices a stay in SQL, from the rows it locked (booking.store.ts, `holdStay`),
 * and builds its availability event there: the SQL must give what the TypeScript that
 * prices searches and views gives (`nightlyRate`, `formatAmount`, `inventoryDays`), on
 * any occupancy and any rules. Random cases from a fixed seed, so a failure repeats.
 */

let orm: Orm;

beforeAll(async () => {
  orm = await openTestDatabase(testConfig(), 2);
});

afterAll(() => orm.close());

/** mulberry32: a small seeded generator, so the cases are the same on every run. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const pick = <T>(next: () => number, values: readonly T[]): T => values[Math.floor(next() * values.length)];
const int = (next: () => number, min: number, max: number) => min + Math.floor(next() * (max - min + 1));

interface Case {
  base: number;
  reserved: number;
  total: number;
  rules: PricingRuleValue[];
}

/** Rules as validateRules allows them: up to 20, distinct thresholds 0-100, adjustments -90..500. */
function rulesOf(next: () => number): PricingRuleValue[] {
  const count = pick(next, [0, 1, 1, 2, 3, 5, 20]);
  const thresholds = new Set<number>();
  while (thresholds.size < count) thresholds.add(pick(next, [0, 0, 1, 20, 33, 34, 50, 66, 67, 80, 99, 100, int(next, 0, 100)]));
  return [...thresholds].map((minOccupancyPercent) => ({
    minOccupancyPercent,
    adjustmentPercent: pick(next, [-90, -50, -1, 0, 1, 10, 33, 50, 100, 500, int(next, -90, 500)]),
  }));
}

function casesOf(seed: number, count: number): Case[] {
  const next = random(seed);
  return Array.from({ length: count }, () => {
    const total = pick(next, [0, 1, 2, 3, 7, 10, 50, 99, 100, 10_000_000, int(next, 0, 100_000)]);
    // Up to the sell limit with generous overbooking, and past it (a view of a night staff shrank).
    const reserved = pick(next, [0, total, Math.floor(total / 2), int(next, 0, Math.floor(total * 2) + 1)]);
    const base = pick(next, [0, 1, 49, 50, 51, 99, 100, 9_999, 12_345, 99_999_999, 100_000_000_000, int(next, 0, 1_000_000)]);
    return { base, reserved, total, rules: rulesOf(next) };
  });
}

/** The cases as a relation: index, base, reserved, total and the rules as jsonb, to evaluate them all in one statement. */
const casesSql = (cases: readonly Case[]) =>
  sql`jsonb_to_recordset(${JSON.stringify(
    cases.map((c, i) => ({
      i,
      base: c.base,
      reserved: c.reserved,
      total: c.total,
      rules: c.rules.map((r) => ({ min_occupancy_percent: r.minOccupancyPercent, adjustment_percent: r.adjustmentPercent })),
    })),
  )}::jsonb) as c(i int, base bigint, reserved int, total int, rules jsonb)`;

const rulesOfCase = sql`(select * from jsonb_to_recordset(c.rules) as x(min_occupancy_percent smallint, adjustment_percent smallint))`;

describe('nightlyRateSql', () => {
  it('prices exactly as nightlyRate on 5,000 random occupancies and rule sets', async () => {
    const cases = casesOf(13, 5_000);
    const rows = await query(
      orm.em.fork(),
      'test.nightlyRateSql',
      sql`select c.i, ${nightlyRateSql(sql`c.base`, sql`c.reserved`, sql`c.total`, rulesOfCase)} as rate from ${casesSql(cases)} order by c.i`,
      z.object({ i: z.number(), rate: z.union([z.string(), z.number()]).transform(Number) }),
    );
    expect(rows).toHaveLength(cases.length);
    const differ = rows
      .map((row) => ({ ...cases[row.i], sql: row.rate, ts: nightlyRate(cases[row.i].base, cases[row.i].reserved, cases[row.i].total, cases[row.i].rules) }))
      .filter((c) => c.sql !== c.ts);
    expect(differ.slice(0, 5)).toEqual([]);
  });

  it('takes a rule from its threshold on, the highest reached, rounding half-up (worked by hand)', async () => {
    const rules = [
      { minOccupancyPercent: 0, adjustmentPercent: -10 },
      { minOccupancyPercent: 50, adjustmentPercent: 15 },
      { minOccupancyPercent: 80, adjustmentPercent: 40 },
    ];
    const cases: Case[] = [
      { base: 10_000, reserved: 4, total: 10, rules }, // 40%: -10%
      { base: 10_000, reserved: 5, total: 10, rules }, // exactly 50%: +15%
      { base: 10_000, reserved: 8, total: 10, rules }, // 80%: +40%
      { base: 9_999, reserved: 1, total: 3, rules: [{ minOccupancyPercent: 33, adjustmentPercent: 10 }] }, // 10998.9 -> 10999
      { base: 5, reserved: 0, total: 10, rules: [{ minOccupancyPercent: 0, adjustmentPercent: -90 }] }, // 0.5 -> 1 (half-up)
      { base: 10_000, reserved: 0, total: 0, rules: [{ minOccupancyPercent: 1, adjustmentPercent: 50 }] }, // no rooms: only a 0 rule
    ];
    const rows = await query(
      orm.em.fork(),
      'test.nightlyRateSql.byHand',
      sql`select ${nightlyRateSql(sql`c.base`, sql`c.reserved`, sql`c.total`, rulesOfCase)} as rate from ${casesSql(cases)} order by c.i`,
      z.object({ rate: z.union([z.string(), z.number()]).transform(Number) }),
    );
    expect(rows.map((r) => r.rate)).toEqual([9_000, 11_500, 14_000, 10_999, 1, 10_000]);
  });
});

describe('moneyJsonSql', () => {
  it.each(['EUR', 'JPY', 'BHD', 'CLF', 'USD'])('writes %s amounts as formatAmount does', async (currency) => {
    const next = random(currency.charCodeAt(0) * 31 + currency.charCodeAt(2));
    const amounts = [0, 1, 9, 10, 11, 99, 100, 101, 999, 1_000, 1_001, 12_345, 100_000_000_000, -1, -100, -12_345];
    for (let i = 0; i < 200; i++) amounts.push(int(next, 0, 10 ** int(next, 1, 11)));
    const rows = await query(
      orm.em.fork(),
      'test.moneyJsonSql',
      sql`select a.i, ${moneyJsonSql(sql`a.minor`, currency)} as money
            from jsonb_to_recordset(${JSON.stringify(amounts.map((minor, i) => ({ i, minor })))}::jsonb) as a(i int, minor bigint)
           order by a.i`,
      z.object({ i: z.number(), money: z.unknown() }),
    );
    expect(rows.map((r) => r.money)).toEqual(amounts.map((minor) => ({ amount: formatAmount(minor, currency), currency })));
    const [none] = await query(orm.em.fork(), 'test.moneyJsonSql.null', sql`select ${moneyJsonSql(sql`null::bigint`, currency)} as money`, z.object({ money: z.unknown() }));
    expect(none.money).toBeNull();
  });
});

describe('availabilityDaysSql', () => {
  it("builds an availability event's days exactly as availabilityEvent does from inventoryDays", async () => {
    const next = random(7);
    for (const currency of ['EUR', 'JPY', 'BHD']) {
      for (let stay = 0; stay < 40; stay++) {
        const rules = rulesOf(next);
        const first = addDays('2027-01-01', int(next, 0, 400));
        const dates = Array.from({ length: int(next, 1, 30) }, (_, n) => addDays(first, n));
        const counts = new Map<string, VersionedCounts>();
        const rates = new Map<string, number>();
        for (const date of dates) {
          const total = pick(next, [0, 1, 10, 50, int(next, 0, 1000)]);
          const sellLimit = Math.floor((total * (100 + pick(next, [0, 10, 50]))) / 100);
          // A little past the sell limit too: the database forbids it, but `available` must still agree.
          counts.set(date, { total, sellLimit, reserved: int(next, 0, sellLimit + 2), version: int(next, 1, 100_000) });
          rates.set(date, pick(next, [0, 1, 5, 10_050, int(next, 0, 10_000_000)]));
        }
        const days = inventoryDays(dates, counts, rates, rules, currency);
        const expected = availabilityEvent('00000000-0000-0000-0000-000000000000', '00000000-0000-0000-0000-000000000000', days, new Date())
          .payload.days;
        // The statement's rows come in any order; the days are in date order.
        const rows = dates
          .map((date) => ({ date, ...counts.get(date)!, base: rates.get(date)! }))
          .sort(() => next() - 0.5)
          .map((row) => ({ date: row.date, version: row.version, total: row.total, reserved: row.reserved, sell_limit: row.sellLimit, base_minor: row.base }));
        const relation = sql`(select d.*, ${nightlyRateSql(sql`d.base_minor`, sql`d.reserved`, sql`d.total`, sql`(select * from jsonb_to_recordset(${JSON.stringify(
          rules.map((r) => ({ min_occupancy_percent: r.minOccupancyPercent, adjustment_percent: r.adjustmentPercent })),
        )}::jsonb) as x(min_occupancy_percent smallint, adjustment_percent smallint))`)} as rate_minor
            from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
                 as d(date date, version int, total int, reserved int, sell_limit int, base_minor bigint))`;
        const [built] = await query(
          orm.em.fork(),
          'test.availabilityDaysSql',
          sql`select (${availabilityDaysSql(relation, currency)}) as days`,
          z.object({ days: z.unknown() }),
        );
        expect(built.days).toEqual(expected);
      }
    }
  });
});
