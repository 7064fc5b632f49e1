/**
 * Best-available seats: the candidates a best-available hold tries, best first, computed
 * from a snapshot of the taken seats that may be stale by the time the hold runs. The
 * hold engine's holdFirst takes the first candidate whose seats are all FREE and whose
 * guards hold, atomically, so correctness rests on the guards, never on the snapshot.
 *
 * The order follows seats.io's: (1) `quantity` adjacent seats in one row that leave no
 * lone free seat beside them, guarded so they still leave none when taken; (2) adjacent
 * seats, lone seats allowed; (3) when adjacency is not required, any seats. Within a
 * pass: best category first (the caller's rank), then front rows (row index, across the
 * sections of a category), then blocks nearer their row's centre.
 *
 * Concurrent buyers. Each list is the sequence the picker would hand to consecutive
 * buyers: every candidate is the best block once all candidates before it are taken, so
 * candidates never overlap, and a list computed from a later snapshot continues the same
 * sequence (the picker is deterministic and depends only on the free seats). When 300
 * buyers read one snapshot and their holds run one after another, the k-th to commit
 * fails fast on the k-1 taken blocks before it and takes the k-th: nobody collides
 * unless more than `limit` holds commit between its read and its hold. Randomly spread
 * starting points would avoid collisions too, but would hand out worse seats first and
 * cut rows into pieces that leave lone seats; this keeps allocation best-first and tight.
 * Pass 2 starts over from the snapshot: its blocks are the fallbacks when pass 1's fail.
 *
 * Work is bounded: rows are read (one `taken` call per seat) only when the picker gets
 * to them, at most once per call, and rows too short for the request are never read.
 */

import type { Candidate, SeatRef } from '../holds/hold-engine.js';
import type { ChartIndex } from './chart-index.js';
import { MAX_ROW_SEATS } from './layout.js';

export const BEST_AVAILABLE_CANDIDATES = 256;

export interface BestAvailableRequest {
  quantity: number;
  /** Only seats of these categories / sections; absent: any. */
  categories?: readonly string[] | null;
  sectionKeys?: readonly string[] | null;
  /** true: only `quantity` seats next to each other in one row. */
  adjacent: boolean;
  /** true: only accessible seats (adjacent ones when `adjacent`). */
  accessible: boolean;
  /** Categories best first (e.g. by price, highest first); the chart's others follow, in chart order. */
  categoryRank: readonly string[];
}

export function bestAvailable(
  index: ChartIndex,
  taken: (seatId: string) => boolean,
  request: BestAvailableRequest,
  limit = BEST_AVAILABLE_CANDIDATES,
): Candidate[] {
  const { quantity } = request;
  const candidates: Candidate[] = [];
  if (!Number.isInteger(quantity) || quantity < 1) return candidates;
  const rows = new RowStates(index, taken, request.accessible);
  const sectionGroups = sectionsByCategory(index, request);
  pickBlocks(tiers(index, sectionGroups), rows, quantity, true, candidates, limit);
  pickBlocks(tiers(index, sectionGroups), rows, quantity, false, candidates, limit);
  if (!request.adjacent) pickScattered(tiers(index, sectionGroups), rows, quantity, candidates, limit);
  return candidates;
}

/**
 * How many blocks of `quantity` (2 or more) a run of `length` free seats gives, taken
 * one after another, none leaving a lone free seat: all whole blocks, but one fewer when
 * a single seat would be left over (it cannot be left alone, and a block beside it
 * leaves it so). Blocks aligned on multiples of `quantity` from one end of the run
 * reach this, so a block that keeps it is never more than quantity / 2 off centre.
 */
export function runCapacity(length: number, quantity: number): number {
  if (length < quantity) return 0;
  const blocks = Math.floor(length / quantity);
  return length % quantity === 1 ? blocks - 1 : blocks;
}

/** Scores are penalty, then distance from the centre (doubled, so at most 2 * MAX_ROW_SEATS). */
const PENALTY_WEIGHT = 2 * MAX_ROW_SEATS + 1;

/** A row of the chart as the picker sees it: its free seats and the ones the request may use. */
interface RowState {
  sectionKey: string;
  /** Seat ids along the row. */
  ids: readonly string[];
  size: number;
  /** 1: FREE in the snapshot. */
  free: Uint8Array;
  /** For the accessible filter, how many seats before each position it excludes; null: none. */
  excludedBefore: Uint16Array | null;
}

/** Reads each row of the snapshot at most once per call, when first needed. */
class RowStates {
  private readonly rows = new Map<number, RowState>();
  private readonly firstRowOf: number[] = [];

  constructor(
    private readonly index: ChartIndex,
    private readonly taken: (seatId: string) => boolean,
    private readonly accessibleOnly: boolean,
  ) {
    let rowCount = 0;
    for (const section of index.layout.sections) {
      this.firstRowOf.push(rowCount);
      rowCount += section.rows.length;
    }
  }

  /** How many seats of the row the request could use at all. */
  usableSeats(sectionIndex: number, rowIndex: number): number {
    const row = this.index.layout.sections[sectionIndex].rows[rowIndex];
    return this.accessibleOnly ? row.accessible.length : row.seats;
  }

  get(sectionIndex: number, rowIndex: number): RowState {
    const key = this.firstRowOf[sectionIndex] + rowIndex;
    let state = this.rows.get(key);
    if (!state) {
      state = this.read(sectionIndex, rowIndex);
      this.rows.set(key, state);
    }
    return state;
  }

  private read(sectionIndex: number, rowIndex: number): RowState {
    const section = this.index.layout.sections[sectionIndex];
    const row = section.rows[rowIndex];
    const ids = this.index.rowSeatIds(sectionIndex, rowIndex);
    const free = new Uint8Array(row.seats);
    for (let position = 0; position < row.seats; position++) free[position] = this.taken(ids[position]) ? 0 : 1;
    let excludedBefore: Uint16Array | null = null;
    if (this.accessibleOnly) {
      const accessible = new Uint8Array(row.seats);
      for (const number of row.accessible) accessible[number - row.firstNumber] = 1;
      excludedBefore = new Uint16Array(row.seats + 1);
      for (let position = 0; position < row.seats; position++) {
        excludedBefore[position + 1] = excludedBefore[position] + (accessible[position] ? 0 : 1);
      }
    }
    return { sectionKey: section.key, ids, size: row.seats, free, excludedBefore };
  }
}

const usable = (row: RowState, start: number, length: number): boolean =>
  !row.excludedBefore || row.excludedBefore[start + length] === row.excludedBefore[start];

const refAt = (row: RowState, position: number): SeatRef => ({ id: row.ids[position], section: row.sectionKey });

/** The request's sections, grouped by category, best category first, each group in chart order. */
function sectionsByCategory(index: ChartIndex, request: BestAvailableRequest): number[][] {
  const wantedCategories = request.categories ? new Set(request.categories) : null;
  const wantedSections = request.sectionKeys ? new Set(request.sectionKeys) : null;
  const inChart = new Set(index.categories);
  const groups = new Map<string, number[]>();
  for (const category of [...request.categoryRank, ...index.categories]) {
    if (inChart.has(category) && (!wantedCategories || wantedCategories.has(category))) {
      groups.set(category, groups.get(category) ?? []);
    }
  }
  index.sections.forEach((section, sectionIndex) => {
    if (!wantedSections || wantedSections.has(section.key)) groups.get(section.category)?.push(sectionIndex);
  });
  return [...groups.values()].filter((group) => group.length > 0);
}

interface RowAt {
  sectionIndex: number;
  rowIndex: number;
}

/** Rows of equal rank: one category, one row index (0 is the front), in chart order of their sections. */
function* tiers(index: ChartIndex, sectionGroups: number[][]): Generator<RowAt[]> {
  const depth = (sectionIndex: number) => index.layout.sections[sectionIndex].rows.length;
  for (const group of sectionGroups) {
    // Sections drop out once their rows are passed: the work is one step per row.
    let deepEnough = group;
    for (let rowIndex = 0; deepEnough.length > 0; rowIndex++) {
      deepEnough = deepEnough.filter((sectionIndex) => depth(sectionIndex) > rowIndex);
      if (deepEnough.length > 0) yield deepEnough.map((sectionIndex) => ({ sectionIndex, rowIndex }));
    }
  }
}

/**
 * Passes 1 (`guarded`: no lone seat left, guards added) and 2 (lone seats allowed):
 * tier by tier, the best next block among the tier's rows, until the tier has none.
 */
function pickBlocks(
  tierList: Iterable<RowAt[]>,
  rows: RowStates,
  quantity: number,
  guarded: boolean,
  candidates: Candidate[],
  limit: number,
): void {
  for (const tier of tierList) {
    if (candidates.length >= limit) return;
    const cursors: RowBlocks[] = [];
    for (const { sectionIndex, rowIndex } of tier) {
      if (rows.usableSeats(sectionIndex, rowIndex) < quantity) continue;
      const cursor = new RowBlocks(rows.get(sectionIndex, rowIndex), quantity, guarded);
      if (cursor.hasBlock()) cursors.push(cursor);
    }
    while (candidates.length < limit) {
      let best: RowBlocks | undefined;
      for (const cursor of cursors) {
        // Strictly better only: on a tie the section first in the chart wins.
        if (cursor.hasBlock() && (!best || cursor.score() < best.score())) best = cursor;
      }
      if (!best) break;
      candidates.push(blockCandidate(best.row, best.take(), quantity, guarded));
    }
  }
}

function blockCandidate(row: RowState, start: number, quantity: number, guarded: boolean): Candidate {
  const seats: SeatRef[] = [];
  for (let position = start; position < start + quantity; position++) seats.push(refAt(row, position));
  const guards: [string, string | null][] = [];
  if (guarded) {
    const end = start + quantity - 1;
    if (start > 0) guards.push([row.ids[start - 1], start > 1 ? row.ids[start - 2] : null]);
    if (end < row.size - 1) guards.push([row.ids[end + 1], end < row.size - 2 ? row.ids[end + 2] : null]);
  }
  return { seats, guards };
}

/** A run of free seats of one row, with the best block in it (start -1: none). */
interface Run {
  first: number;
  last: number;
  blockStart: number;
  score: number;
}

/**
 * One row's blocks in the order the picker hands them out: each the best of the row once
 * the ones before it are taken. Taking a block splits its run in two; only those two
 * are scored again, so the sequence is the same as if the row were read afresh.
 */
class RowBlocks {
  private readonly runs: Run[] = [];
  private best: Run | undefined;

  constructor(
    readonly row: RowState,
    private readonly quantity: number,
    private readonly guarded: boolean,
  ) {
    let position = 0;
    while (position < row.size) {
      if (!row.free[position]) {
        position++;
        continue;
      }
      const first = position;
      while (position < row.size && row.free[position]) position++;
      this.addRun(first, position - 1);
    }
    this.chooseBest();
  }

  hasBlock(): boolean {
    return this.best !== undefined;
  }

  score(): number {
    return this.best ? this.best.score : Infinity;
  }

  /** Hands out the best block (its start) and scores what is left of its run. */
  take(): number {
    const run = this.best;
    if (!run) throw new Error('RowBlocks.take without a block');
    const start = run.blockStart;
    this.runs.splice(this.runs.indexOf(run), 1);
    this.addRun(run.first, start - 1);
    this.addRun(start + this.quantity, run.last);
    this.chooseBest();
    return start;
  }

  private chooseBest(): void {
    this.best = undefined;
    for (const run of this.runs) {
      if (run.blockStart < 0) continue;
      const best = this.best;
      if (!best || run.score < best.score || (run.score === best.score && run.blockStart < best.blockStart)) {
        this.best = run;
      }
    }
  }

  private addRun(first: number, last: number): void {
    if (last < first) return;
    const run: Run = { first, last, blockStart: -1, score: Infinity };
    this.scoreRun(run);
    this.runs.push(run);
  }

  /**
   * Pass 1: blocks that leave no lone seat, keeping the run's room for more blocks of
   * this size first (see runCapacity; singles skip that: they would always be sent to a
   * run's ends, the aisles of an empty row), then nearest the centre. Pass 2: blocks
   * that leave fewer lone seats, then nearest the centre. Ties: leftmost.
   */
  private scoreRun(run: Run): void {
    const { quantity, guarded, row } = this;
    const length = run.last - run.first + 1;
    const capacity = guarded && quantity > 1 ? runCapacity(length, quantity) : 0;
    for (let start = run.first; start + quantity - 1 <= run.last; start++) {
      if (!usable(row, start, quantity)) continue;
      const left = start - run.first;
      const right = run.last - (start + quantity - 1);
      let penalty: number;
      if (guarded) {
        if (left === 1 || right === 1) continue;
        penalty = quantity > 1 ? capacity - 1 - runCapacity(left, quantity) - runCapacity(right, quantity) : 0;
      } else {
        penalty = (left === 1 ? 1 : 0) + (right === 1 ? 1 : 0);
      }
      const score = penalty * PENALTY_WEIGHT + Math.abs(2 * start + quantity - row.size);
      if (score < run.score) {
        run.score = score;
        run.blockStart = start;
      }
    }
  }
}

/**
 * Pass 3 (adjacency not required): the free seats the request may use, tier by tier,
 * each row from its centre outwards, cut into consecutive groups of `quantity`: the
 * first group is the best seats, and groups never overlap, as blocks do not.
 */
function pickScattered(
  tierList: Iterable<RowAt[]>,
  rows: RowStates,
  quantity: number,
  candidates: Candidate[],
  limit: number,
): void {
  if (candidates.length >= limit) return;
  let group: SeatRef[] = [];
  for (const tier of tierList) {
    for (const { sectionIndex, rowIndex } of tier) {
      if (rows.usableSeats(sectionIndex, rowIndex) === 0) continue;
      const row = rows.get(sectionIndex, rowIndex);
      for (let rank = 0; rank < row.size; rank++) {
        const position = centreOutwards(row.size, rank);
        if (!row.free[position] || !usable(row, position, 1)) continue;
        group.push(refAt(row, position));
        if (group.length < quantity) continue;
        candidates.push({ seats: group, guards: [] });
        if (candidates.length >= limit) return;
        group = [];
      }
    }
  }
}

/**
 * The position of rank `rank` when a row's seats are ordered by distance from its centre,
 * the left one first on a tie: 1, 2, 0, 3 for four seats; 2, 1, 3, 0, 4 for five.
 */
function centreOutwards(size: number, rank: number): number {
  const centreLeft = (size - 1) >> 1;
  if (size % 2 === 0) return rank % 2 === 0 ? centreLeft - rank / 2 : centreLeft + (rank + 1) / 2;
  if (rank === 0) return centreLeft;
  return rank % 2 === 1 ? centreLeft - (rank + 1) / 2 : centreLeft + rank / 2;
}
