import { badInput } from '../common/errors.js';
import { integer, optionalText, present, text } from '../common/validation.js';

/**
 * Small validators for catalog input. Each returns the normalised value or throws
 * BAD_USER_INPUT naming the field. `undefined` means "not given" and passes through.
 */

export const NAME_MAX = 200;

export const validate = {
  name: (value: string | null, field = 'name') => text(field, present(field, value), NAME_MAX),
  city: (value: string | null) => text('city', present('city', value), NAME_MAX),
  address: (value: string | null) => optionalText('address', value, 500),
  description: (value: string | null) => optionalText('description', value, 2000),
  timezone: (value: string | null) => {
    const zone = canonicalTimeZone(present('timezone', value));
    if (!zone) throw badInput('timezone', 'must be an IANA time zone such as Asia/Seoul');
    return zone;
  },
  currency: (value: string | null) => {
    const code = present('currency', value);
    if (!isCurrency(code)) throw badInput('currency', 'must be an ISO-4217 code such as EUR');
    return code;
  },
  overbookingPercent: (value: number | null) =>
    integer('overbookingPercent', present('overbookingPercent', value), 0, 100),
  maxOccupancy: (value: number | null) => integer('maxOccupancy', present('maxOccupancy', value), 1, 20),
  roomNumber: (value: string | null) => text('number', present('number', value), 50),
  floor: (value: number | null) => (value === null ? null : integer('floor', value, -50, 300)),
  outOfService: (value: boolean | null) => present('outOfService', value),
  version: (value: number) => integer('version', value, 1, 2 ** 31 - 1),
};

/** Applies `check` only when the field was given, so an update touches only what the client sent. */
export function ifGiven<T, R>(value: T | undefined, check: (value: T) => R): R | undefined {
  return value === undefined ? undefined : check(value);
}

const IANA_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

/** The canonical IANA name (e.g. "asia/seoul" -> "Asia/Seoul"), or undefined if it is no zone. */
function canonicalTimeZone(zone: string): string | undefined {
  if (!IANA_NAME.test(zone)) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));

function isCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && CURRENCIES.has(code);
}
