import { describe, expect, it } from '@jest/globals';
import { formatAmount, parseAmount } from '../../src/services/common/money.js';

/** Pure money handling: no database. */

/** The error `run` throws, to compare with what the API would answer. */
function refusal(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  throw new Error('expected a refusal, got a value');
}

describe('parseAmount', () => {
  it.each([
    ['129.50', 'EUR', 12_950],
    ['129.5', 'EUR', 12_950],
    ['129', 'EUR', 12_900],
    ['0.01', 'EUR', 1],
    ['0', 'EUR', 0],
    ['007.10', 'EUR', 710],
    ['1500', 'JPY', 1_500],
    ['0', 'JPY', 0],
    ['1.234', 'BHD', 1_234],
    ['1.2', 'BHD', 1_200],
    ['0.005', 'BHD', 5],
    ['1000000000.00', 'EUR', 100_000_000_000], // the largest amount there is
  ])('%s %s is %i minor units', (value, currency, minor) => {
    expect(parseAmount(value, currency)).toBe(minor);
  });

  it.each([
    ['1.001', 'EUR'], // more decimals than the currency has
    ['1500.5', 'JPY'],
    ['1500.0', 'JPY'],
    ['1.2345', 'BHD'],
    ['-1.00', 'EUR'], // negatives
    ['-0', 'EUR'],
    ['-5', 'JPY'],
    ['', 'EUR'], // not a decimal
    ['abc', 'EUR'],
    ['1e3', 'EUR'],
    ['1,50', 'EUR'],
    ['.50', 'EUR'],
    ['5.', 'EUR'],
    ['1000000000.01', 'EUR'], // too large
    ['100000000001', 'JPY'],
    ['99999999999999999999', 'EUR'],
  ])('refuses %j in %s as BAD_USER_INPUT on its field', (value, currency) => {
    expect(refusal(() => parseAmount(value, currency, 'rate'))).toMatchObject({
      code: 'BAD_USER_INPUT',
      details: { field: 'rate' },
    });
  });
});

describe('formatAmount', () => {
  it.each([
    [12_950, 'EUR', '129.50'],
    [5, 'EUR', '0.05'],
    [0, 'EUR', '0.00'],
    [-150, 'EUR', '-1.50'],
    [1_500, 'JPY', '1500'],
    [0, 'JPY', '0'],
    [1_234, 'BHD', '1.234'],
    [5, 'BHD', '0.005'],
    [100_000_000_000, 'EUR', '1000000000.00'],
  ])('%i minor units of %s read %s', (minor, currency, text) => {
    expect(formatAmount(minor, currency)).toBe(text);
  });
});
