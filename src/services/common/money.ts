import { badInput } from './errors.js';

/**
 * Money is kept as an integer count of the currency's minor unit (cents, or yen
 * for JPY), never a float, and shown as a decimal string with exactly the
 * currency's precision.
 */
const digitsCache = new Map<string, number>();

export function minorDigits(currency: string): number {
  let digits = digitsCache.get(currency);
  if (digits === undefined) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    digitsCache.set(currency, digits);
  }
  return digits;
}

/** "129.50" in EUR -> 12950. Refuses negatives, more decimals than the currency has, and anything not decimal. */
export function parseAmount(value: string, currency: string, field = 'amount'): number {
  const digits = minorDigits(currency);
  const pattern = digits === 0 ? /^(\d+)$/ : new RegExp(`^(\\d+)(?:\\.(\\d{1,${digits}}))?$`);
  const match = pattern.exec(value.trim());
  if (!match) {
    throw badInput(field, `must be a non-negative decimal with at most ${digits} decimals for ${currency}`);
  }
  const minor = Number(match[1]) * 10 ** digits + Number((match[2] ?? '').padEnd(digits, '0') || 0);
  if (!Number.isSafeInteger(minor) || minor > MAX_MINOR) throw badInput(field, 'is too large');
  return minor;
}

/**
 * 10^11 minor units (a billion euros a night) is beyond any price, and keeps every
 * product the pricing makes (rate x 6 for +500%, x 30 nights, x 20 rooms) an exact integer.
 */
const MAX_MINOR = 10 ** 11;

export function formatAmount(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  if (digits === 0) return String(minor);
  const text = String(Math.abs(minor)).padStart(digits + 1, '0');
  return `${minor < 0 ? '-' : ''}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}
