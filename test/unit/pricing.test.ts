import { describe, expect, it } from '@jest/globals';
import { nightlyRate, sellLimit } from '../../src/services/stays/pricing.js';

/** Pure pricing: no database. Expected values are worked out by hand, not by the code under test. */

describe('sellLimit', () => {
  it.each([
    [10, 0, 10],
    [10, 10, 11],
    [9, 10, 9], // 9.9 rounds down: never sell a room that is not there
    [7, 15, 8], // 8.05
    [20, 5, 21],
    [3, 34, 4], // 4.02
    [100, 100, 200],
    [0, 50, 0],
  ])('total %i with %i%% overbooking sells at most %i', (total, overbooking, expected) => {
    expect(sellLimit(total, overbooking)).toBe(expected);
  });
});

describe('nightlyRate', () => {
  const BASE = 10_000;

  it('is the base rate without rules', () => {
    expect(nightlyRate(BASE, 7, 10, [])).toBe(BASE);
  });

  it('applies a rule from its threshold on, not before', () => {
    const rules = [{ minOccupancyPercent: 20, adjustmentPercent: 50 }];
    expect(nightlyRate(BASE, 1, 10, rules)).toBe(10_000); // 10%
    expect(nightlyRate(BASE, 2, 10, rules)).toBe(15_000); // exactly 20%
    expect(nightlyRate(BASE, 3, 10, rules)).toBe(15_000);
  });

  it('compares occupancy exactly, without rounding the percentage', () => {
    // 1 of 3 is 33.33...%: past 33, short of 34.
    expect(nightlyRate(BASE, 1, 3, [{ minOccupancyPercent: 34, adjustmentPercent: 10 }])).toBe(10_000);
    expect(nightlyRate(BASE, 1, 3, [{ minOccupancyPercent: 33, adjustmentPercent: 10 }])).toBe(11_000);
  });

  it('takes the reached rule with the highest threshold, whatever order the rules come in', () => {
    const rules = [
      { minOccupancyPercent: 0, adjustmentPercent: -10 },
      { minOccupancyPercent: 50, adjustmentPercent: 20 },
      { minOccupancyPercent: 80, adjustmentPercent: 40 },
    ];
    const orders = [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ].map((order) => order.map((i) => rules[i]));
    for (const ordered of orders) {
      expect([0, 4, 5, 7, 8, 10].map((reserved) => nightlyRate(BASE, reserved, 10, ordered))).toEqual([
        9_000, 9_000, 12_000, 12_000, 14_000, 14_000,
      ]);
    }
  });

  it('counts overbooked nights past 100% occupancy', () => {
    const rules = [{ minOccupancyPercent: 100, adjustmentPercent: 30 }];
    expect(nightlyRate(BASE, 9, 10, rules)).toBe(10_000);
    expect(nightlyRate(BASE, 11, 10, rules)).toBe(13_000);
  });

  it('rounds half-up to the minor unit', () => {
    const plus10 = [{ minOccupancyPercent: 0, adjustmentPercent: 10 }];
    const minus50 = [{ minOccupancyPercent: 0, adjustmentPercent: -50 }];
    expect(nightlyRate(5, 0, 10, plus10)).toBe(6); // 5.5
    expect(nightlyRate(25, 0, 10, plus10)).toBe(28); // 27.5
    expect(nightlyRate(14, 0, 10, plus10)).toBe(15); // 15.4
    expect(nightlyRate(16, 0, 10, plus10)).toBe(18); // 17.6
    expect(nightlyRate(15, 0, 10, minus50)).toBe(8); // 7.5
    expect(nightlyRate(3, 0, 10, minus50)).toBe(2); // 1.5
    expect(nightlyRate(1, 0, 10, minus50)).toBe(1); // 0.5
    expect(nightlyRate(12_345, 0, 10, [{ minOccupancyPercent: 0, adjustmentPercent: 33 }])).toBe(16_419); // 16418.85
  });

  it('takes negative adjustments, down to -90%', () => {
    expect(nightlyRate(BASE, 0, 10, [{ minOccupancyPercent: 0, adjustmentPercent: -25 }])).toBe(7_500);
    expect(nightlyRate(BASE, 0, 10, [{ minOccupancyPercent: 0, adjustmentPercent: -90 }])).toBe(1_000);
    expect(nightlyRate(999, 0, 10, [{ minOccupancyPercent: 0, adjustmentPercent: -10 }])).toBe(899); // 899.1
  });

  it('with a total of 0, only a rule from 0% applies', () => {
    const rules = [
      { minOccupancyPercent: 0, adjustmentPercent: 20 },
      { minOccupancyPercent: 10, adjustmentPercent: 50 },
    ];
    expect(nightlyRate(BASE, 0, 0, rules)).toBe(12_000);
    expect(nightlyRate(BASE, 0, 0, [rules[1]])).toBe(10_000);
  });

  it('keeps a base rate of 0 at 0', () => {
    expect(nightlyRate(0, 10, 10, [{ minOccupancyPercent: 0, adjustmentPercent: 500 }])).toBe(0);
  });
});
