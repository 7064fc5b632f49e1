import { daysBetween, isLocalDate, nightsOf, todayIn } from '../common/dates.js';
import { badInput } from '../common/errors.js';

export const MAX_RANGE_NIGHTS = 366;
export const MAX_STAY_NIGHTS = 30;
export const MAX_ROOMS = 20;

/** The nights of [from, to): from before to, at most `max` of them. */
export function validateRange(from: string, to: string, max = MAX_RANGE_NIGHTS, names = ['from', 'to']): string[] {
  if (!isLocalDate(from)) throw badInput(names[0], 'must be a date YYYY-MM-DD');
  if (!isLocalDate(to)) throw badInput(names[1], 'must be a date YYYY-MM-DD');
  const nights = daysBetween(from, to);
  if (nights < 1) throw badInput(names[1], `must be after ${names[0]}`);
  if (nights > max) throw badInput(names[1], `at most ${max} nights from ${names[0]}`);
  return nightsOf(from, to);
}

export interface Stay {
  checkIn: string;
  checkOut: string;
  rooms: number;
  nights: string[];
}

/** A stay that can be searched or booked: 1-30 nights, not starting in the hotel's past, 1-20 rooms. */
export function validateStay(
  input: { checkIn: string; checkOut: string; rooms?: number | null },
  hotelTimeZone: string,
  now: Date = new Date(),
): Stay {
  const stay = validateStayShape(input);
  assertNotPast(stay, hotelTimeZone, now);
  return stay;
}

/** The stay's dates and rooms, whatever today is. */
export function validateStayShape(input: { checkIn: string; checkOut: string; rooms?: number | null }): Stay {
  const nights = validateRange(input.checkIn, input.checkOut, MAX_STAY_NIGHTS, ['checkIn', 'checkOut']);
  const rooms = input.rooms ?? 1;
  if (!Number.isInteger(rooms) || rooms < 1 || rooms > MAX_ROOMS) {
    throw badInput('rooms', `must be an integer from 1 to ${MAX_ROOMS}`);
  }
  return { checkIn: input.checkIn, checkOut: input.checkOut, rooms, nights };
}

export function assertNotPast(stay: Stay, hotelTimeZone: string, now: Date = new Date()): void {
  if (stay.checkIn < todayIn(hotelTimeZone, now)) throw badInput('checkIn', "is in the past in the hotel's time zone");
}
