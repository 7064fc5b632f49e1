import { describe, expect, it } from '@jest/globals';
import { ChartIndex } from '../../src/services/venues/seating/chart-index.js';
import {
  MAX_CHART_SEATS,
  type SectionInputData,
  parseSeatId,
  seatId,
  validateChartSections,
} from '../../src/services/venues/seating/layout.js';

/** The chart model: validation of staff input, seat ids, and the index over a layout. No database. */

/** The error `run` throws, to compare with what the API would answer. */
function refusal(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  throw new Error('expected a refusal, got a value');
}

const section = (key: string, overrides: Partial<SectionInputData> = {}): SectionInputData => ({
  key,
  name: `Section ${key}`,
  category: 'A',
  rows: [{ label: 'A', seats: 10 }],
  ...overrides,
});

/** A chart of `seats` seats in rows of 1,000 (the last one shorter). */
function chartOf(seats: number): SectionInputData[] {
  const rows = [];
  for (let left = seats, i = 0; left > 0; left -= 1000, i++) rows.push({ label: `R${i}`, seats: Math.min(1000, left) });
  const sections: SectionInputData[] = [];
  for (let i = 0; i < rows.length; i += 50) sections.push(section(`S${i / 50}`, { rows: rows.slice(i, i + 50) }));
  return sections;
}

describe('validateChartSections', () => {
  it('answers the layout: first numbers default to 1, accessible seats sorted, names trimmed', () => {
    const layout = validateChartSections([
      section('BAL-L', {
        name: '  Balcony left ',
        category: 'VIP',
        rows: [
          { label: 'A', seats: 4, accessible: [3, 1] },
          { label: 'B_2', seats: 3, firstNumber: 0, accessible: null },
          { label: 'C', seats: 1, firstNumber: null },
        ],
      }),
    ]);
    expect(layout).toEqual({
      sections: [
        {
          key: 'BAL-L',
          name: 'Balcony left',
          category: 'VIP',
          rows: [
            { label: 'A', firstNumber: 1, seats: 4, accessible: [1, 3] },
            { label: 'B_2', firstNumber: 0, seats: 3, accessible: [] },
            { label: 'C', firstNumber: 1, seats: 1, accessible: [] },
          ],
        },
      ],
    });
  });

  /** Two sections; the second row of the second one changed, its path ROW_B. */
  const ROW_B = 'sections[1].rows[1]';
  const row = (overrides: object) => [
    section('ORCH'),
    section('PIT', { rows: [{ label: 'A', seats: 10 }, { label: 'B', seats: 10, ...overrides }] }),
  ];

  it.each<[string, SectionInputData[], string]>([
    ['no section', [], 'sections'],
    ['an empty key', [section('')], 'sections[0].key'],
    ['a key starting with "-"', [section('-A')], 'sections[0].key'],
    ['a key with a space', [section('ORCH A')], 'sections[0].key'],
    ['a key of 33 characters', [section('K'.repeat(33))], 'sections[0].key'],
    ['a key used twice', [section('ORCH'), section('BAL'), section('ORCH')], 'sections[2].key'],
    ['a blank name', [section('ORCH', { name: '   ' })], 'sections[0].name'],
    ['a name of 101 characters', [section('ORCH', { name: 'n'.repeat(101) })], 'sections[0].name'],
    ['an empty category', [section('ORCH', { category: '' })], 'sections[0].category'],
    ['a category of 33 characters', [section('ORCH', { category: 'C'.repeat(33) })], 'sections[0].category'],
    ['a category with a "/"', [section('ORCH', { category: 'A/B' })], 'sections[0].category'],
    ['no rows', [section('ORCH'), section('BAL', { rows: [] })], 'sections[1].rows'],
    ['a row label with "-"', row({ label: 'B-1' }), `${ROW_B}.label`],
    ['an empty row label', row({ label: '' }), `${ROW_B}.label`],
    ['a row label of 17 characters', row({ label: 'L'.repeat(17) }), `${ROW_B}.label`],
    ['a row label used twice', row({ label: 'A' }), `${ROW_B}.label`],
    ['a row of no seats', row({ seats: 0 }), `${ROW_B}.seats`],
    ['a row of 1,001 seats', row({ seats: 1001 }), `${ROW_B}.seats`],
    ['a fractional seat count', row({ seats: 2.5 }), `${ROW_B}.seats`],
    ['a negative first number', row({ firstNumber: -1 }), `${ROW_B}.firstNumber`],
    ['a first number past 100,000', row({ firstNumber: 100_001 }), `${ROW_B}.firstNumber`],
    ['a fractional first number', row({ firstNumber: 1.5 }), `${ROW_B}.firstNumber`],
    ['an accessible seat before the row', row({ firstNumber: 5, accessible: [5, 4] }), `${ROW_B}.accessible[1]`],
    ['an accessible seat after the row', row({ accessible: [10, 11] }), `${ROW_B}.accessible[1]`],
    ['an accessible seat listed twice', row({ accessible: [3, 7, 3] }), `${ROW_B}.accessible[2]`],
  ])('refuses %s as BAD_USER_INPUT on its field', (_what, sections, field) => {
    expect(refusal(() => validateChartSections(sections))).toMatchObject({
      code: 'BAD_USER_INPUT',
      details: { field },
    });
  });

  it(`accepts ${MAX_CHART_SEATS} seats in a few milliseconds and refuses one more`, () => {
    const largest = chartOf(MAX_CHART_SEATS);
    const started = performance.now();
    const layout = validateChartSections(largest);
    const elapsed = performance.now() - started;
    expect(new ChartIndex(layout).seatCount).toBe(MAX_CHART_SEATS);
    expect(elapsed).toBeLessThan(100); // a few ms measured; generous so it cannot flake

    expect(refusal(() => validateChartSections(chartOf(MAX_CHART_SEATS + 1)))).toMatchObject({
      code: 'BAD_USER_INPUT',
      details: { field: 'sections' },
    });
  });
});

describe('parseSeatId', () => {
  it.each([
    ['ORCH-C-12', { section: 'ORCH', row: 'C', number: 12 }],
    ['BAL-L-C-12', { section: 'BAL-L', row: 'C', number: 12 }],
    ['A--B-ROW_1-0', { section: 'A--B', row: 'ROW_1', number: 0 }],
    ['S-1-2-3', { section: 'S-1', row: '2', number: 3 }],
  ])('splits %s from the right', (id, parts) => {
    expect(parseSeatId(id)).toEqual(parts);
    expect(seatId(parts.section, parts.row, parts.number)).toBe(id);
  });

  const notSeatIds = ['', 'ORCH', 'ORCH-12', '-C-12', 'ORCH--12', 'ORCH-C-', 'ORCH-C-x', 'ORCH-C-012', 'ORCH-C--1'];
  it.each([...notSeatIds, 'ORCH-C-1.5', 'OR CH-C-1'])('answers null for %j', (id) => {
    expect(parseSeatId(id)).toBeNull();
  });
});

describe('ChartIndex', () => {
  const index = new ChartIndex(
    validateChartSections([
      section('BAL-L', {
        name: 'Balcony left',
        category: 'B',
        rows: [
          { label: 'A', seats: 3, firstNumber: 10, accessible: [11] },
          { label: 'B', seats: 2 },
        ],
      }),
      section('ORCH', { category: 'VIP', rows: [{ label: 'A', seats: 4, firstNumber: 0, accessible: [0, 3] }] }),
      section('BAL-R', { category: 'B', rows: [{ label: 'A', seats: 1 }] }),
    ]),
  );

  it('counts seats per section and in all, and lists categories in first-use order', () => {
    expect(index.seatCount).toBe(10);
    expect(index.sections).toEqual([
      { key: 'BAL-L', name: 'Balcony left', category: 'B', seatCount: 5 },
      { key: 'ORCH', name: 'Section ORCH', category: 'VIP', seatCount: 4 },
      { key: 'BAL-R', name: 'Section BAL-R', category: 'B', seatCount: 1 },
    ]);
    expect(index.categories).toEqual(['B', 'VIP']);
  });

  it('resolves a seat id to its place in the chart', () => {
    expect(index.seat('BAL-L-A-11')).toEqual({
      ref: { id: 'BAL-L-A-11', section: 'BAL-L' },
      row: 'A',
      number: 11,
      category: 'B',
      accessible: true,
      sectionIndex: 0,
      rowIndex: 0,
      position: 1,
    });
    expect(index.seat('BAL-L-B-2')).toMatchObject({ accessible: false, rowIndex: 1, position: 1 });
    expect(index.seat('ORCH-A-3')).toMatchObject({ accessible: true, sectionIndex: 1, position: 3, category: 'VIP' });
  });

  it.each(['BAL-L-A-9', 'BAL-L-A-13', 'BAL-L-C-1', 'BAL-X-A-10', 'BAL-L-A-010', 'ORCH-A-4', 'nonsense'])(
    'knows no seat %s',
    (id) => {
      expect(index.seat(id)).toBeUndefined();
    },
  );

  it('lists seat ids in chart order, of some sections when asked', () => {
    expect(index.seatIdsOf()).toEqual([
      'BAL-L-A-10',
      'BAL-L-A-11',
      'BAL-L-A-12',
      'BAL-L-B-1',
      'BAL-L-B-2',
      'ORCH-A-0',
      'ORCH-A-1',
      'ORCH-A-2',
      'ORCH-A-3',
      'BAL-R-A-1',
    ]);
    expect(index.seatIdsOf(['BAL-R', 'NOPE', 'ORCH'])).toEqual([
      'ORCH-A-0',
      'ORCH-A-1',
      'ORCH-A-2',
      'ORCH-A-3',
      'BAL-R-A-1',
    ]);
    expect(index.rowSeatIds(0, 1)).toEqual(['BAL-L-B-1', 'BAL-L-B-2']);
  });

  it('turns ids into refs once each and names the unknown ones', () => {
    expect(index.refsFor(['ORCH-A-2', 'BAL-R-A-1', 'ORCH-A-2', 'ORCH-A-9', 'ORCH-A-02', 'ORCH-A-9'])).toEqual({
      refs: [
        { id: 'ORCH-A-2', section: 'ORCH' },
        { id: 'BAL-R-A-1', section: 'BAL-R' },
      ],
      unknown: ['ORCH-A-9', 'ORCH-A-02'],
    });
  });

  it(`builds over ${MAX_CHART_SEATS} seats quickly and lists 100,000 of them quickly`, () => {
    const layout = validateChartSections(chartOf(MAX_CHART_SEATS));
    let started = performance.now();
    const large = new ChartIndex(layout);
    expect(performance.now() - started).toBeLessThan(50); // under a millisecond measured
    expect(large.seat('S3-R199-1000')).toMatchObject({ sectionIndex: 3, rowIndex: 49, position: 999 });

    started = performance.now();
    const ids = large.seatIdsOf(['S0', 'S1']);
    expect(performance.now() - started).toBeLessThan(500); // first read makes the ids: ~15 ms measured
    expect(ids).toHaveLength(100_000);
    expect(ids[99_999]).toBe('S1-R99-1000');
  });
});
