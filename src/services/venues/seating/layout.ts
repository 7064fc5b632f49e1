/**
 * A seating chart's layout: sections of rows of seats, stored as compact JSON on the
 * chart (a row is a label, a first number and a count, not one record per seat), so a
 * 200,000-seat chart is a few thousand rows of JSON. Seat ids are derived:
 * `<sectionKey>-<rowLabel>-<number>` (row labels may not contain '-', section keys may).
 * Rows are listed front (nearest the stage) to back; seats along a row in number order
 * sit next to each other.
 */

export interface RowLayout {
  label: string;
  firstNumber: number;
  seats: number;
  /** Numbers of the wheelchair-accessible seats, ascending. */
  accessible: number[];
}

export interface SectionLayout {
  key: string;
  name: string;
  category: string;
  rows: RowLayout[];
}

export interface ChartLayout {
  sections: SectionLayout[];
}

export const MAX_CHART_SEATS = 200_000;

export const seatId = (section: string, row: string, number: number): string => `${section}-${row}-${number}`;
