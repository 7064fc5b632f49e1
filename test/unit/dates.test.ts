import { describe, expect, it } from '@jest/globals';
import { addDays, daysBetween, isLocalDate, isoWeekday, minutesOfDay, nightsOf, todayIn, zonedInstant } from '../../src/services/common/dates.js';

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

describe('zonedInstant', () => {
  const at = (date: string, time: string, zone: string) => zonedInstant(date, minutesOfDay(time)!, zone)?.toISOString() ?? null;

  it('is the instant of a local wall-clock time', () => {
    expect(at('2027-01-15', '10:00', 'Europe/Berlin')).toBe('2027-01-15T09:00:00.000Z');
    expect(at('2027-07-15', '10:00', 'Europe/Berlin')).toBe('2027-07-15T08:00:00.000Z');
    expect(at('2027-07-15', '10:00', 'America/New_York')).toBe('2027-07-15T14:00:00.000Z');
    expect(at('2027-07-15', '23:30', 'Asia/Kolkata')).toBe('2027-07-15T18:00:00.000Z');
    expect(at('2027-07-15', '00:00', 'UTC')).toBe('2027-07-15T00:00:00.000Z');
  });

  it('has no instant for a time the spring change skips, and the first of one the autumn change repeats', () => {
    expect(at('2027-03-28', '02:30', 'Europe/Berlin')).toBeNull();
    expect(at('2027-03-28', '03:00', 'Europe/Berlin')).toBe('2027-03-28T01:00:00.000Z');
    expect(at('2027-10-31', '02:30', 'Europe/Berlin')).toBe('2027-10-31T00:30:00.000Z');
    expect(at('2027-10-31', '03:00', 'Europe/Berlin')).toBe('2027-10-31T02:00:00.000Z');
    expect(at('2027-03-14', '02:30', 'America/New_York')).toBeNull();
    expect(at('2027-11-07', '01:30', 'America/New_York')).toBe('2027-11-07T05:30:00.000Z');
  });
});

describe('minutesOfDay and isoWeekday', () => {
  it.each([
    ['00:00', 0],
    ['09:05', 545],
    ['23:59', 1439],
    ['24:00', null],
    ['9:05', null],
    ['12:60', null],
  ])('%s is %s minutes', (value, expected) => {
    expect(minutesOfDay(value)).toBe(expected);
  });

  it('numbers Monday 1 to Sunday 7', () => {
    expect(['2027-03-22', '2027-03-27', '2027-03-28'].map(isoWeekday)).toEqual([1, 6, 7]);
  });
});
