import { badInput } from './errors.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** One page of a keyset-paginated list. */
export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
  cursorOf(item: T): string;
}

export interface PageRequest {
  first?: number | null;
  after?: string | null;
}

/** Cursors are opaque to clients: base64url of the sort key. */
export function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, isValidKey: (key: string) => boolean): string {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!isValidKey(key) || encodeCursor(key) !== cursor) throw badInput('after', 'not a cursor from this list');
  return key;
}

export function pageSize(first: number | null | undefined): number {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw badInput('first', `must be 1 to ${MAX_PAGE_SIZE}`);
  }
  return size;
}

/** Fetch one row more than asked: its presence answers hasNextPage without a count. */
export function toPage<T>(rows: T[], size: number, cursorOf: (item: T) => string): Page<T> {
  return { items: rows.slice(0, size), hasNextPage: rows.length > size, cursorOf };
}
