import type { DiningTable } from '../../../entities/venues/dining-table.entity.js';
import type { Restaurant } from '../../../entities/venues/restaurant.entity.js';
import { isoWeekday, minutesOfDay, zonedInstant } from '../../common/dates.js';
import type { Candidate, CellState, SeatRef } from '../holds/hold-engine.js';
import { TABLE_CELL_MINUTES, tableCellId } from './restaurant-context.js';

const CELL_MS = TABLE_CELL_MINUTES * 60_000;

/** "24:00" closes a day; every other time is HH:MM. */
export function closingMinutes(value: string): number | null {
  return value === '24:00' ? 24 * 60 : minutesOfDay(value);
}

/**
 * The seating starts of a local date, earliest first: opens, opens + slotMinutes, ...
 * while start + turnMinutes <= closes, for each opening of the date's weekday, as
 * instants where the venue is (a start in the hour skipped by a daylight-saving change
 * does not exist; one in the repeated hour is its first occurrence).
 */
export function seatingStarts(restaurant: Pick<Restaurant, 'openingHours' | 'slotMinutes' | 'turnMinutes'>, date: string, timeZone: string): Date[] {
  const weekday = isoWeekday(date);
  const starts = new Map<number, Date>();
  for (const hours of restaurant.openingHours) {
    if (hours.weekday !== weekday) continue;
    const opens = minutesOfDay(hours.opens)!;
    const closes = closingMinutes(hours.closes)!;
    for (let minute = opens; minute + restaurant.turnMinutes <= closes; minute += restaurant.slotMinutes) {
      const at = zonedInstant(date, minute, timeZone);
      if (at) starts.set(at.getTime(), at);
    }
  }
  return [...starts.values()].sort((a, b) => a.getTime() - b.getTime());
}

/** The tables a party fits, smallest first (then fewest minimum covers, then label): the order a seating is given. */
export function tablesFor(tables: readonly DiningTable[], partySize: number): DiningTable[] {
  return tables
    .filter((table) => table.minCovers <= partySize && partySize <= table.maxCovers)
    .sort((a, b) => a.maxCovers - b.maxCovers || a.minCovers - b.minCovers || a.label.localeCompare(b.label) || (a.id < b.id ? -1 : 1));
}

/** The cells of one table for one seating, in the date's section; the first carries the party size and the deposit. */
export function seatingCells(
  tableId: string,
  startsAt: Date,
  turnMinutes: number,
  section: string,
  party?: { size: number; depositMinor: number },
): SeatRef[] {
  const cells: SeatRef[] = [];
  for (let at = startsAt.getTime(); at < startsAt.getTime() + turnMinutes * 60_000; at += CELL_MS) {
    const cell: SeatRef = { id: tableCellId(tableId, at), section };
    if (party && cells.length === 0) Object.assign(cell, { quantity: party.size, price: party.depositMinor });
    cells.push(cell);
  }
  return cells;
}

/** One candidate per fitting table, in the order tables are given: the engine holds the first whose cells are all free. */
export function seatingCandidates(
  tables: readonly DiningTable[],
  startsAt: Date,
  turnMinutes: number,
  section: string,
  party: { size: number; depositMinor: number },
): Candidate[] {
  return tables.map((table) => ({ seats: seatingCells(table.id, startsAt, turnMinutes, section, party), guards: [] }));
}

/** How many of `tables` are free for the whole turn from `startsAt`, given the date's non-free cells. */
export function freeTables(
  tables: readonly DiningTable[],
  startsAt: Date,
  turnMinutes: number,
  taken: ReadonlyMap<string, CellState>,
): number {
  return tables.filter((table) => seatingCells(table.id, startsAt, turnMinutes, '').every((cell) => !taken.has(cell.id))).length;
}

export interface BusyInterval {
  startsAt: Date;
  endsAt: Date;
}

/** The seatings that hold or book each table on the date: runs of cells of one owner, as [startsAt, endsAt). */
export function busyIntervals(cells: ReadonlyMap<string, CellState>): Map<string, BusyInterval[]> {
  const runs = new Map<string, { owner: string; from: number; to: number }[]>();
  const sorted = [...cells].map(([id, cell]) => {
    const [tableId, minutes] = id.split('@');
    const owner = cell.state === 'held' ? `H${cell.token}` : cell.state === 'blocked' ? 'X' : `B${cell.bookingId}`;
    return { tableId, at: Number(minutes) * 60_000, owner };
  });
  sorted.sort((a, b) => (a.tableId < b.tableId ? -1 : a.tableId > b.tableId ? 1 : a.at - b.at));
  for (const { tableId, at, owner } of sorted) {
    const table = runs.get(tableId) ?? [];
    runs.set(tableId, table);
    const last = table.at(-1);
    if (last && last.owner === owner && last.to === at) last.to = at + CELL_MS;
    else table.push({ owner, from: at, to: at + CELL_MS });
  }
  return new Map([...runs].map(([tableId, table]) => [tableId, table.map((run) => ({ startsAt: new Date(run.from), endsAt: new Date(run.to) }))]));
}
