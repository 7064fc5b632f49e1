import { OfferingStatus } from '../../../entities/venues/offering.js';
import type { CategoryPrices } from '../../../entities/venues/performance.entity.js';
import { DomainError, ErrorCode, badInput } from '../../common/errors.js';
import { parseAmount } from '../../common/money.js';
import { integer, present } from '../../common/validation.js';
import { validate } from '../../catalog/catalog.validation.js';
import { assertValidSchema, type DetailsSchema } from '../details.js';

/**
 * Validators for performances (venues reuse the hotel catalog's: name, city, address,
 * timezone, currency). Each returns the normalised value or throws BAD_USER_INPUT naming
 * the field; `null` in an update is refused where the field cannot be empty.
 */

/** A price as staff send it (the contract's CategoryPriceInput). */
export interface CategoryPriceData {
  category: string;
  /** Decimal string in the venue's currency. */
  amount: string;
}

export const DEFAULT_HOLD_MINUTES = 10;
export const DEFAULT_MAX_SEATS_PER_HOLD = 10;

export const validatePerformance = {
  title: (value: string | null) => validate.name(value, 'title'),
  holdMinutes: (value: number | null) => integer('holdMinutes', present('holdMinutes', value), 1, 120),
  maxSeatsPerHold: (value: number | null) => integer('maxSeatsPerHold', present('maxSeatsPerHold', value), 1, 100),
  status: (value: OfferingStatus | null) => {
    const status = present('status', value);
    if (!Object.values(OfferingStatus).includes(status)) throw badInput('status', 'must be ON_SALE or CLOSED');
    return status;
  },
  /** null: bookings take no details. */
  detailsSchema: (value: DetailsSchema | null): DetailsSchema | null => {
    if (value === null) return null;
    assertValidSchema(value, 'detailsSchema');
    return value;
  },
  times: (startsAt: Date, endsAt: Date) => {
    if (!(endsAt.getTime() > startsAt.getTime())) throw badInput('endsAt', 'must be after startsAt');
  },
};

/**
 * Exactly one price per category of the chart (`categories`), each a decimal string in
 * `currency`, as minor units by category. An unknown, repeated or missing category is
 * refused with the category in `extensions.category`.
 */
export function validatePrices(
  prices: readonly CategoryPriceData[] | null,
  categories: readonly string[],
  currency: string,
): CategoryPrices {
  const given = present('prices', prices);
  const known = new Set(categories);
  const result = new Map<string, number>();
  given.forEach((price, index) => {
    const field = `prices[${index}].category`;
    if (!known.has(price.category)) {
      throw categoryError(field, price.category, `${price.category} is not a category of this chart (${categories.join(', ')})`);
    }
    if (result.has(price.category)) throw categoryError(field, price.category, `${price.category} is priced twice`);
    result.set(price.category, parseAmount(price.amount, currency, `prices[${index}].amount`));
  });
  const missing = categories.find((category) => !result.has(category));
  if (missing !== undefined) throw categoryError('prices', missing, `no price for category ${missing}`);
  return Object.fromEntries(result);
}

const categoryError = (field: string, category: string, message: string) =>
  new DomainError(ErrorCode.BAD_USER_INPUT, `${field}: ${message}`, { field, category });
