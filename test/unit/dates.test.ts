import { describe, expect, it } from '@jest/globals';
import { addDays, daysBetween, isLocalDate, nightsOf, todayIn } from '../../src/services/common/dates.js';

/** Pure calendar arithmetic: no database. */

describe('addDays', () => {
  it.each([
    ['2026-01-31', 1, '2026-02-01'], // month end
    ['2026-02-28', 1, '2026-03-01'], // February of a common year
    ['2028-02-28', 1, '2028-02-29'], // leap day
    ['2028-02-29', 1, '2028-03-01'],
    ['2025-12-31', 1, '2026-01-01'], // year end
    ['2026-01-01', -1, '2025-12-31'],
    ['2028-03-01', -1, '2028-02-29'],
    ['2026-03-28', 2, '2026-03-30'], // over the spring DST change in Europe
    ['2026-10-24', 2, '2026-10-26'], // over the autumn one
    ['2026-01-15', 0, '2026-01-15'],
    ['2027-12-31', 366, '2028-12-31'], // through a leap year of 366 days
  ])('%s plus %i days is %s', (date, days, expected) => {
    expect(addDays(date, days)).toBe(expected);
  });
});

describe('daysBetween', () => {
  it.each([
    ['2026-01-30', '2026-03-02', 31],
    ['2027-02-01', '2027-03-01', 28],
    ['2028-02-01', '2028-03-01', 29],
    ['2025-12-31', '2026-12-31', 365],
    ['2027-12-31', '2028-12-31', 366],
    ['2026-03-28', '2026-03-30', 2],
    ['2026-05-05', '2026-05-05', 0],
    ['2026-01-02', '2026-01-01', -1],
  ])('from %s to %s: %i', (from, to, expected) => {
    expect(daysBetween(from, to)).toBe(expected);
  });
});

describe('nightsOf', () => {
  it('lists each night of [from, to), leap day and year end included', () => {
    expect(nightsOf('2028-02-27', '2028-03-02')).toEqual(['2028-02-27', '2028-02-28', '2028-02-29', '2028-03-01']);
    expect(nightsOf('2026-12-30', '2027-01-02')).toEqual(['2026-12-30', '2026-12-31', '2027-01-01']);
  });

  it('is empty for an empty or reversed range', () => {
    expect(nightsOf('2026-05-05', '2026-05-05')).toEqual([]);
    expect(nightsOf('2026-05-06', '2026-05-05')).toEqual([]);
  });
});

describe('todayIn', () => {
  it('gives the date where the hotel is, on either side of the date line', () => {
    const instant = new Date('2026-06-15T10:30:00Z');
    expect(todayIn('Pacific/Kiritimati', instant)).toBe('2026-06-16'); // UTC+14: 00:30 the next day
    expect(todayIn('UTC', instant)).toBe('2026-06-15');
    expect(todayIn('Pacific/Pago_Pago', instant)).toBe('2026-06-14'); // UTC-11: 23:30 the day before
  });

  it('changes year where the new year has begun', () => {
    const instant = new Date('2026-12-31T10:00:00Z');
    expect(todayIn('Pacific/Kiritimati', instant)).toBe('2027-01-01');
    expect(todayIn('Pacific/Pago_Pago', instant)).toBe('2026-12-30');
  });

  it('follows summer time: 23:30 UTC is already tomorrow in Paris', () => {
    expect(todayIn('Europe/Paris', new Date('2026-01-15T23:30:00Z'))).toBe('2026-01-16'); // UTC+1
    expect(todayIn('Europe/Paris', new Date('2026-07-15T21:30:00Z'))).toBe('2026-07-15'); // UTC+2: 23:30
    expect(todayIn('Europe/Paris', new Date('2026-07-15T22:30:00Z'))).toBe('2026-07-16');
  });
});

describe('isLocalDate', () => {
  it.each([
    ['2028-02-29', true],
    ['2026-12-31', true],
    ['2027-02-29', false],
    ['2026-02-30', false],
    ['2026-13-01', false],
    ['2026-00-10', false],
    ['2026/01/01', false],
    ['2026-1-01', false],
    ['2026-01-01T00:00', false],
  ])('%s: %s', (value, expected) => {
    expect(isLocalDate(value)).toBe(expected);
  });
});
