/**
 * Calendar dates as 'YYYY-MM-DD' strings. Arithmetic runs in UTC, where every day
 * has 24 hours, so no time zone or DST change can shift a night.
 */
const DAY_MS = 86_400_000;

const LOCAL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date written YYYY-MM-DD (no 2026-02-30). */
export function isLocalDate(value: string): boolean {
  const match = LOCAL_DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

const toUtc = (date: string): number => Date.parse(`${date}T00:00:00Z`);
const fromUtc = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

export function addDays(date: string, days: number): string {
  return fromUtc(toUtc(date) + days * DAY_MS);
}

/** Nights from `from` (inclusive) to `to` (exclusive). */
export function daysBetween(from: string, to: string): number {
  return Math.round((toUtc(to) - toUtc(from)) / DAY_MS);
}

/** Each night of [from, to), in order. */
export function nightsOf(from: string, to: string): string[] {
  const count = Math.max(0, daysBetween(from, to));
  return Array.from({ length: count }, (_, i) => addDays(from, i));
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Today's date where the hotel is. ('en-CA' formats dates as YYYY-MM-DD.) */
export function todayIn(timeZone: string, now: Date = new Date()): string {
  let format = formatters.get(timeZone);
  if (!format) {
    // Building a formatter costs far more than using one: keep one per zone.
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, format);
  }
  return format.format(now);
}

const LOCAL_TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Minutes after midnight of a local time written HH:MM (00:00-23:59), or null. */
export function minutesOfDay(value: string): number | null {
  const match = LOCAL_TIME.exec(value);
  return match ? Number(match[1]) * 60 + Number(match[2]) : null;
}

/** ISO weekday of a date (1 = Monday ... 7 = Sunday). */
export function isoWeekday(date: string): number {
  return ((new Date(toUtc(date)).getUTCDay() + 6) % 7) + 1;
}

const wallClocks = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock time in `timeZone` at `instant`, as if it were UTC (epoch ms). */
function wallClock(timeZone: string, instant: number): number {
  let format = wallClocks.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    wallClocks.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(new Date(instant)).map((part) => [part.type, part.value]));
  const [year, month, day] = [Number(parts.year), Number(parts.month), Number(parts.day)];
  return Date.UTC(year, month - 1, day, Number(parts.hour), Number(parts.minute), Number(parts.second));
}

/**
 * The instant at which it is `minutes` after midnight of `date` where `timeZone` is.
 * Across a daylight-saving change: a wall-clock time that does not exist that day (the
 * hour skipped in spring) is null; one that happens twice (the hour repeated in autumn)
 * is its first occurrence.
 */
export function zonedInstant(date: string, minutes: number, timeZone: string): Date | null {
  const wall = toUtc(date) + minutes * 60_000;
  // The zone's offset is one of those a day before and a day after: try both.
  const offsets = new Set([wallClock(timeZone, wall - DAY_MS) - (wall - DAY_MS), wallClock(timeZone, wall + DAY_MS) - (wall + DAY_MS)]);
  const matches = [...offsets].map((offset) => wall - offset).filter((instant) => wallClock(timeZone, instant) === wall);
  return matches.length === 0 ? null : new Date(Math.min(...matches));
}
