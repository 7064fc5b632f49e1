import { badInput } from './errors.js';

/**
 * The primitive input checks every domain's validators are made of. Each returns the
 * normalised value or throws BAD_USER_INPUT naming the field.
 */

export function text(field: string, value: string, max: number): string {
  const trimmed = value.trim();
  if (trimmed.length < 1 || trimmed.length > max) throw badInput(field, `must be 1 to ${max} characters`);
  return trimmed;
}

export function optionalText(field: string, value: string | null, max: number): string | null {
  if (value === null || value.trim() === '') return null;
  return text(field, value, max);
}

export function integer(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw badInput(field, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** A field that may be left out of an update but not set to null. */
export function present<T>(field: string, value: T | null): T {
  if (value === null) throw badInput(field, 'cannot be null');
  return value;
}
