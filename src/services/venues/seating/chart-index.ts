import type { SeatRef } from '../holds/hold-engine.js';
import { type ChartLayout, type RowLayout, parseSeatId, seatIdPrefix } from './layout.js';

/** One seat of a chart, resolved from its id. */
export interface SeatInfo {
  ref: SeatRef;
  row: string;
  number: number;
  category: string;
  accessible: boolean;
  sectionIndex: number;
  /** Index of the row within its section: 0 is the front row. */
  rowIndex: number;
  /** Index of the seat along its row: neighbours differ by one. */
  position: number;
}

export interface SectionSummary {
  key: string;
  name: string;
  category: string;
  seatCount: number;
}

/**
 * Answers questions about one chart's seats without a record per seat: a seat id is
 * parsed and checked against its row's range, so building an index costs one pass over
 * the rows; a section's row lookup and seat ids are made the first time it is asked
 * about. Callers keep one per chart (a chart's layout never changes under its id and version).
 */
export class ChartIndex {
  readonly seatCount: number;
  readonly sections: readonly SectionSummary[];
  /** Distinct categories, in the order the chart first uses them. */
  readonly categories: readonly string[];
  private readonly sectionByKey = new Map<string, number>();
  /** Per section, row label -> row index; filled on first lookup. */
  private readonly rowByLabel: (Map<string, number> | undefined)[] = [];
  /** Per section, per row, the seat ids along the row; filled on first use. */
  private readonly idsBySection: (string[][] | undefined)[] = [];

  constructor(readonly layout: ChartLayout) {
    let seatCount = 0;
    const categories = new Set<string>();
    this.sections = layout.sections.map((section, index) => {
      this.sectionByKey.set(section.key, index);
      categories.add(section.category);
      let sectionSeats = 0;
      for (const row of section.rows) sectionSeats += row.seats;
      seatCount += sectionSeats;
      return { key: section.key, name: section.name, category: section.category, seatCount: sectionSeats };
    });
    this.seatCount = seatCount;
    this.categories = [...categories];
  }

  seat(id: string): SeatInfo | undefined {
    const parsed = parseSeatId(id);
    if (!parsed) return undefined;
    const sectionIndex = this.sectionByKey.get(parsed.section);
    if (sectionIndex === undefined) return undefined;
    const rowIndex = this.rowsOf(sectionIndex).get(parsed.row);
    if (rowIndex === undefined) return undefined;
    const section = this.layout.sections[sectionIndex];
    const row = section.rows[rowIndex];
    const position = parsed.number - row.firstNumber;
    if (position < 0 || position >= row.seats) return undefined;
    return {
      ref: { id, section: section.key },
      row: row.label,
      number: parsed.number,
      category: section.category,
      accessible: isAccessible(row, parsed.number),
      sectionIndex,
      rowIndex,
      position,
    };
  }

  /**
   * Seat ids in chart order (sections, rows front to back, seats along the row), of the
   * given sections only when `sectionKeys` is set (unknown keys are skipped). A plain
   * array of kept strings: a 100,000-seat map is listed in a millisecond or two, and an
   * indexed loop over it is the cheapest way to look each seat up.
   */
  seatIdsOf(sectionKeys?: readonly string[]): string[] {
    const wanted = sectionKeys ? new Set(sectionKeys) : null;
    const out: string[] = [];
    for (let sectionIndex = 0; sectionIndex < this.sections.length; sectionIndex++) {
      if (wanted && !wanted.has(this.sections[sectionIndex].key)) continue;
      for (const ids of this.idsOf(sectionIndex)) {
        for (let position = 0; position < ids.length; position++) out.push(ids[position]);
      }
    }
    return out;
  }

  /** The ids of one row's seats, along the row (index = position). */
  rowSeatIds(sectionIndex: number, rowIndex: number): readonly string[] {
    return this.idsOf(sectionIndex)[rowIndex];
  }

  /** The refs of the known ids, each once, in the order given; the others in `unknown` (each once). */
  refsFor(ids: readonly string[]): { refs: SeatRef[]; unknown: string[] } {
    const seen = new Set<string>();
    const refs: SeatRef[] = [];
    const unknown: string[] = [];
    for (const id of ids) {
      if (seen.has(id)) continue;
      seen.add(id);
      const info = this.seat(id);
      if (info) refs.push(info.ref);
      else unknown.push(id);
    }
    return { refs, unknown };
  }

  private rowsOf(sectionIndex: number): Map<string, number> {
    let rows = this.rowByLabel[sectionIndex];
    if (!rows) {
      rows = new Map(this.layout.sections[sectionIndex].rows.map((row, index) => [row.label, index]));
      this.rowByLabel[sectionIndex] = rows;
    }
    return rows;
  }

  /**
   * A section's seat ids, made on first use and kept: seat maps and best-available look
   * every seat up by id in a snapshot, and a kept string's hash is computed once, which
   * makes those lookups several times faster than with ids made afresh each time
   * (about 30 bytes a seat, only for the sections that are read).
   */
  private idsOf(sectionIndex: number): string[][] {
    let ids = this.idsBySection[sectionIndex];
    if (!ids) {
      const section = this.layout.sections[sectionIndex];
      ids = section.rows.map((row) => {
        const prefix = seatIdPrefix(section.key, row.label);
        return Array.from({ length: row.seats }, (_, position) => prefix + (row.firstNumber + position));
      });
      this.idsBySection[sectionIndex] = ids;
    }
    return ids;
  }
}

/** Accessible numbers are few per row and sorted: a binary search, no per-seat flags. */
function isAccessible(row: RowLayout, number: number): boolean {
  const numbers = row.accessible;
  let low = 0;
  let high = numbers.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (numbers[middle] === number) return true;
    if (numbers[middle] < number) low = middle + 1;
    else high = middle - 1;
  }
  return false;
}
