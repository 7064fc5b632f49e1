import { describe, expect, it } from '@jest/globals';
import { checkedStayRow, stayRow } from '../../src/services/stays/stays.store.js';

/**
 * The search's row check by hand (`checkedStayRow`) answers exactly what zod's `stayRow`
 * does for the rows the statement gives, and refuses what zod refuses.
 */
const ROOM_TYPE = '0b9a5c9e-6f55-4c4e-9a53-2a4c9c1f0001';
const HOTEL = '0b9a5c9e-6f55-4c4e-9a53-2a4c9c1f0000';
/** Every column of the statement, null, as PostgreSQL sends a row of it. */
const EMPTY = {
  kind: null, room_type_id: null, date: null, total: null, reserved: null, sell_limit: null, version: null,
  amount_minor: null, min_occupancy_percent: null, adjustment_percent: null, hotel_id: null, timezone: null,
  currency: null, name: null, description: null, max_occupancy: null,
};
const valid = [
  { ...EMPTY, kind: 'inventory', room_type_id: ROOM_TYPE, date: '2027-03-01', total: 50, reserved: 3, sell_limit: 55, version: 4 },
  { ...EMPTY, kind: 'inventory', room_type_id: ROOM_TYPE, date: '2027-03-02', total: 0, reserved: 0, sell_limit: 0, version: 0 },
  { ...EMPTY, kind: 'rate', room_type_id: ROOM_TYPE, date: '2027-03-01', amount_minor: '12900' },
  { ...EMPTY, kind: 'rate', room_type_id: ROOM_TYPE, date: '2027-03-01', amount_minor: '-5' },
  { ...EMPTY, kind: 'rule', room_type_id: ROOM_TYPE, min_occupancy_percent: 80, adjustment_percent: -10 },
  { ...EMPTY, kind: 'hotel', hotel_id: HOTEL, timezone: 'Europe/Oslo', currency: 'NOK' },
  { ...EMPTY, kind: 'roomType', room_type_id: ROOM_TYPE, hotel_id: HOTEL, version: 2, name: 'Double', max_occupancy: 2 },
];

describe('checkedStayRow', () => {
  it.each(valid.map((row) => [row.kind, row]))('answers a %s row as zod does', (_kind, row) => {
    expect(checkedStayRow(row)).toStrictEqual(stayRow.parse(row));
  });

  it.each([
    ['an integer column as text', { ...valid[0], total: '50' }],
    ['a fractional count', { ...valid[0], reserved: 1.5 }],
    ['a missing date', { ...valid[0], date: undefined }],
    ['an amount that is not an integer', { ...valid[2], amount_minor: '129.00' }],
    ['an amount past 2^53', { ...valid[2], amount_minor: '9007199254740993' }],
    ['a boolean amount', { ...valid[2], amount_minor: true }],
    ['a rule without its adjustment', { ...valid[4], adjustment_percent: null }],
    ['a room type id that is not text', { ...valid[0], room_type_id: 42 }],
    ['an unknown kind', { ...valid[0], kind: 'night' }],
    ['a hotel row without its currency', { ...valid[5], currency: null }],
    ['not an object', null],
  ])('refuses %s, as zod does', (_what, row) => {
    expect(() => stayRow.parse(row)).toThrow();
    expect(() => checkedStayRow(row)).toThrow();
  });
});
