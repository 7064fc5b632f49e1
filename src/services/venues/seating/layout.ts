/**
 * A seating chart's layout: sections of rows of seats, stored as compact JSON on the
 * chart (a row is a label, a first number and a count, not one record per seat), so a
 * 200,000-seat chart is a few thousand rows of JSON. Seat ids are derived:
 * `<sectionKey>-<rowLabel>-<number>` (row labels may not contain '-', section keys may).
 * Rows are listed front (nearest the stage) to back; seats along a row in number order
 * sit next to each other.
 */

import { badInput } from '../../common/errors.js';

import type { ChartLayout, RowLayout, SectionLayout } from '../../../entities/venues/chart-layout.js';

export type { ChartLayout, RowLayout, SectionLayout };

export const MAX_CHART_SEATS = 200_000;

export const seatId = (section: string, row: string, number: number): string => `${section}-${row}-${number}`;

/** What every seat id of one row starts with: append the number for a seat's id. */
export const seatIdPrefix = (section: string, row: string): string => `${section}-${row}-`;

/** Seats per row: a row is one run of neighbours, and best-available scans rows whole. */
export const MAX_ROW_SEATS = 1000;
const MAX_FIRST_NUMBER = 100_000;
const MAX_NAME_LENGTH = 100;

/** Section keys and categories: a letter or digit, then up to 31 of letters, digits, '_' and '-'. */
const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;
/** No '-' in row labels, so a seat id splits from the right even when the section key has one. */
const ROW_LABEL_PATTERN = /^[A-Za-z0-9_]{1,16}$/;
/** Seat numbers as `seatId` writes them: no sign, no leading zeros, so one seat has one id. */
const SEAT_NUMBER_PATTERN = /^(0|[1-9][0-9]{0,5})$/;

/** A row as staff send it (the contract's SeatRowInput). */
export interface SeatRowInputData {
  label: string;
  seats: number;
  firstNumber?: number | null;
  accessible?: readonly number[] | null;
}

/** A section as staff send it (the contract's SectionInput). */
export interface SectionInputData {
  key: string;
  name: string;
  category: string;
  rows: readonly SeatRowInputData[];
}

/**
 * Checks a chart's sections and answers the layout to store, or throws BAD_USER_INPUT
 * naming the first bad field (`sections[2].rows[0].seats`). Rows stay counts: the work
 * is per row, never per seat, so a 200,000-seat chart validates in a few milliseconds.
 */
export function validateChartSections(sections: readonly SectionInputData[]): ChartLayout {
  if (sections.length === 0) throw badInput('sections', 'a chart needs at least one section');
  const keys = new Set<string>();
  const layouts: SectionLayout[] = [];
  let seatTotal = 0;
  sections.forEach((section, sectionIndex) => {
    const path = `sections[${sectionIndex}]`;
    const layout = validateSection(section, path);
    if (keys.has(layout.key)) throw badInput(`${path}.key`, `section key ${layout.key} is used twice`);
    keys.add(layout.key);
    for (const row of layout.rows) seatTotal += row.seats;
    // Checked per section, so an oversized chart is refused before the rest is read.
    if (seatTotal > MAX_CHART_SEATS) {
      throw badInput('sections', `a chart has at most ${MAX_CHART_SEATS} seats`);
    }
    layouts.push(layout);
  });
  return { sections: layouts };
}

function validateSection(section: SectionInputData, path: string): SectionLayout {
  if (!KEY_PATTERN.test(section.key)) {
    throw badInput(`${path}.key`, 'up to 32 letters, digits, "_" or "-", starting with a letter or digit');
  }
  const name = section.name.trim();
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) {
    throw badInput(`${path}.name`, `1 to ${MAX_NAME_LENGTH} characters`);
  }
  if (!KEY_PATTERN.test(section.category)) {
    throw badInput(`${path}.category`, 'up to 32 letters, digits, "_" or "-", starting with a letter or digit');
  }
  if (section.rows.length === 0) throw badInput(`${path}.rows`, 'a section needs at least one row');
  const labels = new Set<string>();
  const rows = section.rows.map((row, rowIndex) => {
    const rowPath = `${path}.rows[${rowIndex}]`;
    const layout = validateRow(row, rowPath);
    if (labels.has(layout.label)) throw badInput(`${rowPath}.label`, `row ${layout.label} is listed twice`);
    labels.add(layout.label);
    return layout;
  });
  return { key: section.key, name, category: section.category, rows };
}

function validateRow(row: SeatRowInputData, path: string): RowLayout {
  if (!ROW_LABEL_PATTERN.test(row.label)) {
    throw badInput(`${path}.label`, 'up to 16 letters, digits or "_"');
  }
  if (!Number.isInteger(row.seats) || row.seats < 1 || row.seats > MAX_ROW_SEATS) {
    throw badInput(`${path}.seats`, `an integer from 1 to ${MAX_ROW_SEATS}`);
  }
  const firstNumber = row.firstNumber ?? 1;
  if (!Number.isInteger(firstNumber) || firstNumber < 0 || firstNumber > MAX_FIRST_NUMBER) {
    throw badInput(`${path}.firstNumber`, `an integer from 0 to ${MAX_FIRST_NUMBER}`);
  }
  const lastNumber = firstNumber + row.seats - 1;
  const accessible = new Set<number>();
  (row.accessible ?? []).forEach((number, i) => {
    if (!Number.isInteger(number) || number < firstNumber || number > lastNumber) {
      throw badInput(`${path}.accessible[${i}]`, `not a seat of this row (${firstNumber} to ${lastNumber})`);
    }
    if (accessible.has(number)) throw badInput(`${path}.accessible[${i}]`, `seat ${number} is listed twice`);
    accessible.add(number);
  });
  return { label: row.label, firstNumber, seats: row.seats, accessible: [...accessible].sort((a, b) => a - b) };
}

/** Splits a seat id from the right (section keys may contain '-'); null when it is not one. */
export function parseSeatId(id: string): { section: string; row: string; number: number } | null {
  const numberDash = id.lastIndexOf('-');
  if (numberDash <= 0) return null;
  const rowDash = id.lastIndexOf('-', numberDash - 1);
  if (rowDash <= 0) return null;
  const section = id.slice(0, rowDash);
  const row = id.slice(rowDash + 1, numberDash);
  const number = id.slice(numberDash + 1);
  if (!KEY_PATTERN.test(section) || !ROW_LABEL_PATTERN.test(row) || !SEAT_NUMBER_PATTERN.test(number)) return null;
  return { section, row, number: Number(number) };
}
