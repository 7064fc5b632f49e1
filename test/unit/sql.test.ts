import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { column, pgArray, sql, toPg } from '../../src/services/common/sql.js';

describe('the sql tag', () => {
  it('puts each binding where it is written, in order', () => {
    const statement = sql`select * from t where a = ${1} and b = ${'x'} and c = ${null}`;
    expect(statement.text).toBe('select * from t where a = ? and b = ? and c = ?');
    expect(statement.values).toEqual([1, 'x', null]);
  });

  it('embeds a fragment with its own bindings at its place', () => {
    const when = sql`exists (select 1 from booked where id = ${'b-1'})`;
    const statement = sql`update k set v = ${7} where key = ${'k-1'} and ${when} and n = ${9}`;
    expect(statement.text).toBe('update k set v = ? where key = ? and exists (select 1 from booked where id = ?) and n = ?');
    expect(statement.values).toEqual([7, 'k-1', 'b-1', 9]);
  });

  it("numbers bindings for node-postgres, keeping the ORM's order", () => {
    const { text, values } = toPg(sql`insert into t values (${'a'}, ${sql`${2}::int`}, ${true})`);
    expect(text).toBe('insert into t values ($1, $2::int, $3)');
    expect(values).toEqual(['a', 2, true]);
  });

  it('writes array literals of ids, dates and integers', () => {
    expect(pgArray(['2027-01-01', '2027-01-02'])).toBe('{2027-01-01,2027-01-02}');
    expect(pgArray([3, 4])).toBe('{3,4}');
    expect(pgArray([])).toBe('{}');
  });
});

describe('column types as PostgreSQL returns them', () => {
  it('takes int8 as the string the driver gives, as a number', () => {
    expect(column.bigint.parse('12345678901')).toBe(12_345_678_901);
    expect(column.bigint.parse(12)).toBe(12);
    expect(column.bigint.parse(12n)).toBe(12);
  });

  it('refuses int8 values that are not safe integers, and non-integers', () => {
    expect(column.bigint.safeParse('9007199254740993').success).toBe(false);
    expect(column.bigint.safeParse('1.5').success).toBe(false);
    expect(column.bigint.safeParse('abc').success).toBe(false);
  });

  it('takes dates only as YYYY-MM-DD text', () => {
    expect(column.date.parse('2027-03-01')).toBe('2027-03-01');
    expect(column.date.safeParse(new Date()).success).toBe(false);
    expect(column.date.safeParse('2027-03-01T00:00:00Z').success).toBe(false);
  });

  it('reads timestamps from a Date or text', () => {
    const at = '2027-03-01T10:00:00.000Z';
    expect(column.timestamp.parse(at).toISOString()).toBe(at);
    expect(column.timestamp.parse(new Date(at)).toISOString()).toBe(at);
  });

  it('checks a whole row', () => {
    const row = z.object({ id: column.uuid, reserved: column.int });
    expect(row.safeParse({ id: 'not-a-uuid', reserved: 1 }).success).toBe(false);
    expect(row.safeParse({ id: '0190c6a2-7d5e-7000-8000-000000000001', reserved: '1' }).success).toBe(false);
  });
});
