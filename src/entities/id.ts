import { v7 } from 'uuid';

/** Time-ordered ids (UUIDv7): index-friendly, and ordering by id is ordering by creation. */
export const newId = (): string => v7();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else cannot name a row, so callers answer NOT_FOUND without asking the database. */
export const isId = (value: string): boolean => UUID.test(value);
