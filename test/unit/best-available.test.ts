import { describe, expect, it } from '@jest/globals';
import type { Candidate } from '../../src/services/venues/holds/hold-engine.js';
import {
  type BestAvailableRequest,
  bestAvailable,
  runCapacity,
} from '../../src/services/venues/seating/best-available.js';
import { ChartIndex } from '../../src/services/venues/seating/chart-index.js';
import { type SectionInputData, seatId, validateChartSections } from '../../src/services/venues/seating/layout.js';

/**
 * The best-available picker, pure: charts drawn as strings, a snapshot of taken seats as
 * a Set, and holdFirst re-implemented in a few lines to apply candidates as the hold
 * engine would. Expected seats are worked out by hand.
 */

const label = (rowIndex: number) => (rowIndex < 26 ? String.fromCharCode(65 + rowIndex) : `R${rowIndex}`);

/** A section drawn row by row, front row first: F free, X taken, a free and accessible. */
interface Drawn {
  key: string;
  category: string;
  rows: string[];
}

interface Chart {
  index: ChartIndex;
  taken: Set<string>;
}

function draw(...sections: Drawn[]): Chart {
  const layout = validateChartSections(
    sections.map(({ key, category, rows }) => ({
      key,
      name: key,
      category,
      rows: rows.map((seats, rowIndex) => ({
        label: label(rowIndex),
        seats: seats.length,
        accessible: [...seats].flatMap((seat, position) => (seat === 'a' ? [position + 1] : [])),
      })),
    })),
  );
  const taken = new Set<string>();
  for (const { key, rows } of sections) {
    rows.forEach((seats, rowIndex) =>
      [...seats].forEach((seat, position) => {
        if (seat === 'X') taken.add(seatId(key, label(rowIndex), position + 1));
      }),
    );
  }
  return { index: new ChartIndex(layout), taken };
}

function pick(chart: Chart, request: Partial<BestAvailableRequest> = {}, limit?: number): Candidate[] {
  const full = { quantity: 4, adjacent: true, accessible: false, categoryRank: [], ...request };
  return bestAvailable(chart.index, (id) => chart.taken.has(id), full, limit);
}

const ids = (candidate: Candidate | undefined) => candidate?.seats.map((seat) => seat.id);
const inRow = (candidate: Candidate, row: string) => candidate.seats[0].id.startsWith(`${row}-`);

/** The hold engine's holdFirst: the first candidate whose seats are free and whose guards hold; -1 if none. */
function holdFirst(taken: Set<string>, candidates: Candidate[]): number {
  const free = (id: string) => !taken.has(id);
  const chosen = candidates.findIndex(
    ({ seats, guards }) =>
      seats.every((seat) => free(seat.id)) &&
      guards.every(([seat, beyond]) => !free(seat) || (beyond !== null && free(beyond))),
  );
  if (chosen >= 0) for (const seat of candidates[chosen].seats) taken.add(seat.id);
  return chosen;
}

/** Every FREE seat whose neighbours along its row are both taken or the row's edge. */
function loneSeats({ index }: Chart, taken: Set<string>): Set<string> {
  const lone = new Set<string>();
  index.layout.sections.forEach((section, sectionIndex) =>
    section.rows.forEach((_row, rowIndex) => {
      const row = index.rowSeatIds(sectionIndex, rowIndex);
      const free = (position: number) => position >= 0 && position < row.length && !taken.has(row[position]);
      row.forEach((id, position) => {
        if (free(position) && !free(position - 1) && !free(position + 1)) lone.add(id);
      });
    }),
  );
  return lone;
}

/** Whether some `quantity` free seats next to each other could be taken without leaving a lone seat. */
function cleanBlockExists({ index }: Chart, taken: Set<string>, quantity: number): boolean {
  return index.layout.sections.some((section, sectionIndex) =>
    section.rows.some((_row, rowIndex) => {
      const row = index.rowSeatIds(sectionIndex, rowIndex);
      const free = (position: number) => position >= 0 && position < row.length && !taken.has(row[position]);
      for (let start = 0; start + quantity <= row.length; start++) {
        let allFree = true;
        for (let position = start; position < start + quantity; position++) allFree &&= free(position);
        const end = start + quantity - 1;
        const leavesLone = (free(start - 1) && !free(start - 2)) || (free(end + 1) && !free(end + 2));
        if (allFree && !leavesLone) return true;
      }
      return false;
    }),
  );
}

/** A small deterministic generator (mulberry32), so failures replay. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('bestAvailable: order', () => {
  it('takes the front row of the best category, at the centre', () => {
    const chart = draw(
      { key: 'STALLS', category: 'A', rows: ['FFFFFFFFFFFF', 'FFFFFFFFFFFF'] },
      { key: 'VIP', category: 'VIP', rows: ['XXXXXXXXXXXX', 'FFFFFFFFFFFF'] },
    );
    expect(ids(pick(chart, { categoryRank: ['VIP', 'A'] })[0])).toEqual(['VIP-B-5', 'VIP-B-6', 'VIP-B-7', 'VIP-B-8']);
    expect(ids(pick(chart, { categoryRank: ['A', 'VIP'] })[0])).toEqual([
      'STALLS-A-5',
      'STALLS-A-6',
      'STALLS-A-7',
      'STALLS-A-8',
    ]);
  });

  it('ranks categories missing from the rank after the ranked ones', () => {
    const chart = draw({ key: 'X', category: 'X', rows: ['FFFF'] }, { key: 'Y', category: 'Y', rows: ['FFFF'] });
    const sections = pick(chart, { categoryRank: ['Y'] }).map((candidate) => candidate.seats[0].section);
    expect(sections).toEqual(['Y', 'X', 'Y', 'X']);
  });

  it('hands out the blocks of a row as consecutive buyers would get them: centre first, never overlapping', () => {
    const chart = draw({ key: 'S', category: 'A', rows: ['FFFFFFFFFFFF'] });
    expect(pick(chart).map(ids)).toEqual([
      ['S-A-5', 'S-A-6', 'S-A-7', 'S-A-8'],
      ['S-A-1', 'S-A-2', 'S-A-3', 'S-A-4'],
      ['S-A-9', 'S-A-10', 'S-A-11', 'S-A-12'],
      // pass 2 (lone seats allowed) starts over from the snapshot
      ['S-A-5', 'S-A-6', 'S-A-7', 'S-A-8'],
      ['S-A-1', 'S-A-2', 'S-A-3', 'S-A-4'],
      ['S-A-9', 'S-A-10', 'S-A-11', 'S-A-12'],
    ]);
  });

  it('compares rows of one category across sections by their index from the front', () => {
    const chart = draw(
      { key: 'L', category: 'A', rows: ['XXXXXXXXXXXX', 'FFFFFFFFFFFF'] },
      { key: 'R', category: 'A', rows: ['FFFFFFFFFFFF', 'FFFFFFFFFFFF'] },
    );
    const firstSeats = pick(chart).map((candidate) => candidate.seats[0].id);
    expect(firstSeats.slice(0, 5)).toEqual(['R-A-5', 'R-A-1', 'R-A-9', 'L-B-5', 'R-B-5']);
  });

  it('seats a single buyer at the centre of the row', () => {
    expect(ids(pick(draw({ key: 'S', category: 'A', rows: ['FFFFFFFFF'] }), { quantity: 1 })[0])).toEqual(['S-A-5']);
  });

  it('keeps room for more blocks of the same size rather than sitting exactly at the centre', () => {
    // 10 seats, 4 wanted: seats 4-7 would leave 3 free on each side, where no later block of 4
    // fits; seats 3-6 leave 2 and 4, so a second buyer of 4 still sits without a lone seat.
    const chart = draw({ key: 'S', category: 'A', rows: ['FFFFFFFFFF'] });
    expect(ids(pick(chart)[0])).toEqual(['S-A-3', 'S-A-4', 'S-A-5', 'S-A-6']);
    const taken = new Set(chart.taken);
    expect([holdFirst(taken, pick(chart)), holdFirst(taken, pick({ ...chart, taken }))]).toEqual([0, 0]);
    expect(loneSeats(chart, taken).size).toBe(0);
  });
});

describe('bestAvailable: lone seats', () => {
  it('never leaves a lone seat when a block elsewhere in the row avoids it', () => {
    // 7 free then a taken seat: seats 2-5 or 3-6 would leave one seat alone.
    const chart = draw({ key: 'S', category: 'A', rows: ['FFFFFFFX'] });
    const [first] = pick(chart);
    expect(ids(first)).toEqual(['S-A-4', 'S-A-5', 'S-A-6', 'S-A-7']);
    expect(first.guards).toEqual([
      ['S-A-3', 'S-A-2'],
      ['S-A-8', null],
    ]);
  });

  it('goes to a row further back rather than leave a lone seat in the front one', () => {
    const chart = draw({ key: 'S', category: 'A', rows: ['FFFFFX', 'FFFFFFX'] });
    const candidates = pick(chart);
    expect(ids(candidates[0])).toEqual(['S-B-3', 'S-B-4', 'S-B-5', 'S-B-6']);
    // then the blocks that leave lone seats, without guards: the front row first
    expect(candidates.slice(1).map((candidate) => [candidate.seats[0].id, candidate.guards])).toEqual([
      ['S-A-2', []],
      ['S-B-3', []],
    ]);
  });

  it('leaves a lone seat when no block avoids it', () => {
    const chart = draw({ key: 'S', category: 'A', rows: ['FFFFFX'] });
    const candidates = pick(chart);
    expect(candidates.map(ids)).toEqual([['S-A-2', 'S-A-3', 'S-A-4', 'S-A-5']]);
    expect(candidates[0].guards).toEqual([]);
    const taken = new Set(chart.taken);
    expect(holdFirst(taken, candidates)).toBe(0);
    expect([...loneSeats(chart, taken)]).toEqual(['S-A-1']);
  });

  it('guards the seat beside the block against the current state, with null at the row edge', () => {
    const chart = draw({ key: 'S', category: 'A', rows: ['XFFFF', 'FFFFFFFFFFFF'] });
    const [first] = pick(chart);
    expect(first.guards).toEqual([['S-A-1', null]]);
    // S-A-1 was released after the snapshot: taking the block now would leave it alone.
    expect(holdFirst(new Set(), [first])).toBe(-1);
    expect(holdFirst(new Set(['S-A-1']), [first])).toBe(0);
    const rowB = pick({ ...chart, taken: new Set(['S-A-2']) }).find((candidate) => inRow(candidate, 'S-B'));
    expect(rowB?.guards).toEqual([
      ['S-B-4', 'S-B-3'],
      ['S-B-9', 'S-B-10'],
    ]);
  });

  it('has guards that hold exactly when the block leaves no lone seat, whatever changed since the snapshot', () => {
    const next = random(7);
    const outcomes = new Set<boolean>();
    for (let round = 0; round < 40; round++) {
      const seats = 6 + Math.floor(next() * 20);
      const drawRow = () => Array.from({ length: seats }, () => (next() < 0.3 ? 'X' : 'F')).join('');
      const rows = [drawRow(), drawRow(), drawRow()];
      const chart = draw({ key: 'S', category: 'A', rows });
      const quantity = 1 + Math.floor(next() * 4);
      for (const candidate of pick(chart, { quantity }).filter((c) => c.guards.length > 0)) {
        for (let state = 0; state < 30; state++) {
          // any state of the chart in which the candidate's seats are free
          const now = new Set(chart.index.seatIdsOf().filter(() => next() < 0.5));
          for (const seat of candidate.seats) now.delete(seat.id);
          const before = loneSeats(chart, now);
          const after = new Set([...now, ...candidate.seats.map((seat) => seat.id)]);
          const created = [...loneSeats(chart, after)].filter((id) => !before.has(id));
          const held = holdFirst(new Set(now), [candidate]) === 0;
          expect(held).toBe(created.length === 0);
          outcomes.add(held);
        }
      }
    }
    expect(outcomes).toEqual(new Set([true, false])); // both ways were tried
  });
});

describe('bestAvailable: filters', () => {
  it('offers only accessible seats when asked, and still counts the other free seats for lone seats', () => {
    const chart = draw({ key: 'S', category: 'A', rows: ['FFaaaaFF', 'FaaFF'] });
    const fours = pick(chart, { accessible: true });
    expect(fours.map(ids)).toEqual([
      ['S-A-3', 'S-A-4', 'S-A-5', 'S-A-6'],
      ['S-A-3', 'S-A-4', 'S-A-5', 'S-A-6'],
    ]);
    expect(fours[0].guards).toEqual([
      ['S-A-2', 'S-A-1'],
      ['S-A-7', 'S-A-8'],
    ]);
    // B-2 and B-3 would leave B-1 alone: allowed only in pass 2
    const pairs = pick(chart, { accessible: true, quantity: 2 }).filter((candidate) => inRow(candidate, 'S-B'));
    expect(pairs).toEqual([{ seats: [{ id: 'S-B-2', section: 'S' }, { id: 'S-B-3', section: 'S' }], guards: [] }]);
  });

  it('needs accessible seats next to each other when adjacent, and takes them apart when not', () => {
    const chart = draw({ key: 'S', category: 'A', rows: ['aFFa'] });
    expect(pick(chart, { accessible: true, quantity: 2 })).toEqual([]);
    expect(pick(chart, { accessible: true, quantity: 2, adjacent: false }).map(ids)).toEqual([['S-A-1', 'S-A-4']]);
  });

  it('keeps to the sections and categories asked for', () => {
    const chart = draw(
      { key: 'VIP', category: 'VIP', rows: ['FFFF'] },
      { key: 'L', category: 'A', rows: ['FFFF'] },
      { key: 'R', category: 'A', rows: ['FFFF'] },
    );
    const sectionsOf = (candidates: Candidate[]) => [
      ...new Set(candidates.map((candidate) => candidate.seats[0].section)),
    ];
    expect(sectionsOf(pick(chart, { categoryRank: ['VIP', 'A'] }))).toEqual(['VIP', 'L', 'R']);
    expect(sectionsOf(pick(chart, { sectionKeys: ['R', 'NOPE'] }))).toEqual(['R']);
    expect(sectionsOf(pick(chart, { categories: ['A'], categoryRank: ['VIP', 'A'] }))).toEqual(['L', 'R']);
    expect(pick(chart, { categories: ['VIP'], sectionKeys: ['L'] })).toEqual([]);
  });

  it('skips seats taken in the snapshot', () => {
    const chart = draw({ key: 'S', category: 'A', rows: ['XXFFXX'] });
    expect(pick(chart, { quantity: 2 }).map(ids)).toEqual([
      ['S-A-3', 'S-A-4'],
      ['S-A-3', 'S-A-4'],
    ]);
  });
});

describe('bestAvailable: no block in one row', () => {
  it('offers seats apart when adjacency is not required, the best first', () => {
    const chart = draw({ key: 'S', category: 'A', rows: ['FXFXF', 'XFXFX'] });
    expect(pick(chart, { quantity: 3 })).toEqual([]);
    // row A from its centre outwards: 3, then 1 before 5; row B's two seats make no third group
    expect(pick(chart, { quantity: 3, adjacent: false })).toEqual([
      {
        seats: [
          { id: 'S-A-3', section: 'S' },
          { id: 'S-A-1', section: 'S' },
          { id: 'S-A-5', section: 'S' },
        ],
        guards: [],
      },
    ]);
  });

  it('offers nothing adjacent for more seats than any row has', () => {
    const chart = draw({ key: 'S', category: 'A', rows: ['FFFFFF', 'FFFFFF'] });
    expect(pick(chart, { quantity: 7 })).toEqual([]);
    const apart = pick(chart, { quantity: 7, adjacent: false });
    expect(apart.map(ids)).toEqual([['S-A-3', 'S-A-4', 'S-A-2', 'S-A-5', 'S-A-1', 'S-A-6', 'S-B-3']]);
  });

  it('offers adjacent blocks before seats apart, and stops at the limit', () => {
    const chart = draw({ key: 'S', category: 'A', rows: ['FFFFFFFFFFFF', 'FXFXFXFXFXFX'] });
    const candidates = pick(chart, { quantity: 2, adjacent: false });
    expect(candidates.slice(0, 6).every((candidate) => inRow(candidate, 'S-A'))).toBe(true);
    // row A: 6 blocks; again without guards, centre first, which leaves room for 5; 18 free seats in pairs
    expect(candidates.length).toBe(6 + 5 + 9);
    expect(pick(chart, { quantity: 2, adjacent: false }, 5)).toHaveLength(5);
  });
});

describe('runCapacity', () => {
  it('is the most blocks a run gives one by one without a lone seat (checked against an exhaustive search)', () => {
    for (let quantity = 2; quantity <= 6; quantity++) {
      const best: number[] = [];
      for (let length = 0; length <= 40; length++) {
        best[length] = 0;
        for (let left = 0; left + quantity <= length; left++) {
          const right = length - quantity - left;
          if (left !== 1 && right !== 1) best[length] = Math.max(best[length], 1 + best[left] + best[right]);
        }
        expect([quantity, length, runCapacity(length, quantity)]).toEqual([quantity, length, best[length]]);
      }
    }
  });
});

describe('bestAvailable: herds', () => {
  /** Rows of 8 to 30 seats, 10 per section, a tenth of the seats taken. */
  function busyChart(seed: number): Chart {
    const next = random(seed);
    const sections: Drawn[] = ['VIP', 'A', 'A', 'B'].map((category, i) => ({
      key: `S${i}`,
      category,
      rows: Array.from({ length: 10 }, () => {
        const seats = 8 + Math.floor(next() * 23);
        return Array.from({ length: seats }, () => (next() < 0.1 ? 'X' : next() < 0.1 ? 'a' : 'F')).join('');
      }),
    }));
    return draw(...sections);
  }

  it('never leaves an avoidable lone seat over 300 buyers of 4, each with a fresh snapshot', () => {
    const chart = busyChart(1);
    const taken = new Set(chart.taken);
    let withLoneSeat = 0;
    let refused = 0;
    for (let buyer = 0; buyer < 300; buyer++) {
      const candidates = pick({ ...chart, taken }, { categoryRank: ['VIP', 'A', 'B'] });
      const before = loneSeats(chart, taken);
      const avoidable = cleanBlockExists(chart, taken, 4);
      if (holdFirst(taken, candidates) < 0) {
        refused++;
        continue;
      }
      const created = [...loneSeats(chart, taken)].filter((id) => !before.has(id));
      if (created.length > 0) {
        withLoneSeat++;
        expect({ buyer, avoidable }).toEqual({ buyer, avoidable: false });
      }
    }
    // the chart sold out on the way: both fallbacks were exercised
    expect(withLoneSeat).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });

  it('does the same for buyers of 1 to 6 seats, accessible or not', () => {
    const chart = busyChart(2);
    const next = random(3);
    const taken = new Set(chart.taken);
    for (let buyer = 0; buyer < 300; buyer++) {
      const quantity = 1 + Math.floor(next() * 6);
      const accessible = next() < 0.1;
      const candidates = pick({ ...chart, taken }, { quantity, accessible, categoryRank: ['B', 'A', 'VIP'] });
      const before = loneSeats(chart, taken);
      const avoidable = !accessible && cleanBlockExists(chart, taken, quantity);
      if (holdFirst(taken, candidates) < 0) continue;
      const created = [...loneSeats(chart, taken)].filter((id) => !before.has(id));
      if (created.length > 0) expect({ buyer, quantity, avoidable }).toEqual({ buyer, quantity, avoidable: false });
    }
  });

  it('sells 1,200 seats to 300 buyers of 4 reading snapshots up to 100 holds old: no collision, no lone seat', () => {
    const chart = draw(
      ...['L', 'C', 'R'].map((key) => ({ key, category: 'A', rows: Array.from({ length: 10 }, () => 'F'.repeat(40)) })),
    );
    const next = random(4);
    const snapshots = [new Set<string>()];
    for (let buyer = 0; buyer < 300; buyer++) {
      const read = snapshots[Math.max(0, buyer - Math.floor(next() * 101))];
      const candidates = pick({ ...chart, taken: read });
      const taken = new Set(snapshots[buyer]);
      expect(holdFirst(taken, candidates)).toBeGreaterThanOrEqual(0);
      expect(loneSeats(chart, taken).size).toBe(0);
      snapshots.push(taken);
    }
    expect(snapshots[300].size).toBe(1200);
  });

  it('gives the k-th of buyers reading one snapshot the k-th candidate', () => {
    const chart = draw({ key: 'S', category: 'A', rows: Array.from({ length: 30 }, () => 'F'.repeat(40)) });
    const candidates = pick(chart, {}, 300);
    const taken = new Set<string>();
    const chosen = Array.from({ length: 300 }, () => holdFirst(taken, candidates));
    expect(chosen).toEqual(Array.from({ length: 300 }, (_, k) => k));
    expect(taken.size).toBe(1200);
  });
});

describe('bestAvailable: cost', () => {
  /** 100,000 seats: 10 sections of 200 rows of 50, in two categories. */
  function largeChart(takenShare: number): Chart {
    const sections: SectionInputData[] = Array.from({ length: 10 }, (_, s) => ({
      key: `S${s}`,
      name: `Section ${s}`,
      category: s < 3 ? 'A' : 'B',
      rows: Array.from({ length: 200 }, (_, r) => ({ label: `R${r}`, seats: 50 })),
    }));
    const index = new ChartIndex(validateChartSections(sections));
    const next = random(5);
    return { index, taken: new Set(index.seatIdsOf().filter(() => next() < takenShare)) };
  }

  const timed = (run: () => Candidate[]) => {
    run(); // the first call makes the chart's seat ids, once per chart
    const started = performance.now();
    const candidates = run();
    return { candidates, elapsed: performance.now() - started };
  };

  it('offers 256 candidates on a mostly free 100,000-seat chart quickly', () => {
    const chart = largeChart(0.05);
    const { candidates, elapsed } = timed(() => pick(chart, { categoryRank: ['A', 'B'] }));
    expect(candidates).toHaveLength(256);
    expect(elapsed).toBeLessThan(200); // about half a millisecond measured; generous so it cannot flake
  });

  it('stays bounded on a nearly full one', () => {
    const chart = largeChart(0.99);
    const { candidates, elapsed } = timed(() => pick(chart, { adjacent: false, categoryRank: ['A', 'B'] }));
    expect(candidates.length).toBeGreaterThan(0);
    expect(elapsed).toBeLessThan(1000); // about 10 ms measured: one look-up per seat
  });
});
