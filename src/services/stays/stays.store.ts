import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { column, execute, pgArray, query, Sql, sql } from '../common/sql.js';
import type { PricingRuleValue } from './pricing.js';

/**
 * All SQL of the stays domain: the `room_type_inventory` rows (one room type on one
 * date), base rates and pricing rules, as plain rows. Plain SQL rather than entities
 * because these are read and written many rows at a time on every search and booking,
 * where hydrating entities was most of the cost (bench/RESULTS.md). Catalog-style edits
 * (setInventory, setRates, setPricingRules) go through the entities once this store has
 * locked the rows.
 */

/** A room type's numbers on one date, as stored. `version` moves with every write of the row. */
export interface InventoryRow {
  roomTypeId: string;
  date: string;
  total: number;
  reserved: number;
  sellLimit: number;
  version: number;
}

export type InventoryCounts = Pick<InventoryRow, 'total' | 'reserved' | 'sellLimit'>;

/** What a hold, a price or a view needs of the hotel. */
export interface StayHotel {
  id: string;
  timezone: string;
  currency: string;
}

/** What is stored for one room type over [from, to): its inventory rows, base rates and rules, and its hotel. */
export interface InventoryRange {
  roomTypeId: string;
  hotel: StayHotel;
  inventory: Map<string, InventoryRow>;
  rates: Map<string, number>;
  rules: PricingRuleValue[];
}

/** Which inventory rows a lock takes: one room type's dates [from, to), or a hotel's from a date on. */
export type InventoryScope = { roomTypeId: string; from: string; to: string } | { hotelId: string; from: string };

/**
 * The one locking rule for inventory rows: FOR UPDATE in (room type, date) order, the
 * order every writer uses, so two writers can wait for each other but never deadlock.
 * A fragment, so a statement can embed it as a CTE (the hold does), or run alone
 * through `lockInventory`. Selects the raw columns (`date` as a date) for joining.
 */
export function inventoryLock(scope: InventoryScope): Sql {
  const where =
    'roomTypeId' in scope
      ? sql`room_type_id = ${scope.roomTypeId}::uuid and date >= ${scope.from}::date and date < ${scope.to}::date`
      : sql`hotel_id = ${scope.hotelId}::uuid and date >= ${scope.from}::date`;
  return sql`select room_type_id, date, total, reserved, sell_limit, version
               from room_type_inventory
              where ${where}
              order by room_type_id, date
                for update`;
}

/** How long the caller's transaction waits for a row lock before it fails (and counts as contention). */
export async function setLockTimeout(tx: EntityManager, ms: number): Promise<void> {
  await execute(tx, 'stays.setLockTimeout', new Sql(`set local lock_timeout = ${Math.floor(ms)}`, []));
}

const inventoryRow = z
  .object({
    room_type_id: column.uuid,
    date: column.date,
    total: column.int,
    reserved: column.int,
    sell_limit: column.int,
    version: column.int,
  })
  .transform(
    (row): InventoryRow => ({
      roomTypeId: row.room_type_id,
      date: row.date,
      total: row.total,
      reserved: row.reserved,
      sellLimit: row.sell_limit,
      version: row.version,
    }),
  );

/** Locks the existing inventory rows of the scope (see `inventoryLock`) in the caller's transaction, and reads them. */
export function lockInventory(tx: EntityManager, scope: InventoryScope): Promise<InventoryRow[]> {
  return query(
    tx,
    'stays.lockInventory',
    sql`with locked as materialized (${inventoryLock(scope)})
        select room_type_id, date::text as date, total, reserved, sell_limit, version
          from locked order by room_type_id, date`,
    inventoryRow,
  );
}

const rangeRow = z.object({
  room_type_id: column.uuid,
  hotel_id: column.uuid,
  timezone: column.text,
  currency: column.text,
  // [date, total, reserved, sell_limit, version], in date order
  inventory: z.array(z.tuple([column.date, column.int, column.int, column.int, column.int])),
  // [date, amount_minor]: bigint, a JSON number here (at most 10^11, exact)
  rates: z.array(z.tuple([column.date, column.int])),
  // [min_occupancy_percent, adjustment_percent]
  rules: z.array(z.tuple([column.int, column.int])),
});

/**
 * The stored numbers of these room types over [from, to): inventory rows with their
 * versions, base rates, pricing rules and the hotel. One statement, one row per room
 * type (a room type that does not exist has none), so one round trip for a search of
 * a whole hotel or for a hold. With `lock` (one room type, in a transaction), the
 * inventory rows are taken under the inventory lock first and read as locked.
 */
export async function readInventory(
  em: EntityManager,
  roomTypeIds: readonly string[],
  from: string,
  to: string,
  options: { lock?: boolean } = {},
): Promise<Map<string, InventoryRange>> {
  if (options.lock && roomTypeIds.length !== 1) throw new Error('readInventory locks one room type at a time');
  // FOR UPDATE waits for and returns the newest version of each row, which a plain read
  // in the same statement would not see: read the locked rows themselves.
  const locked = options.lock
    ? sql`with locked as materialized (${inventoryLock({ roomTypeId: roomTypeIds[0], from, to })}) `
    : sql``;
  const inventory = options.lock ? sql`locked` : sql`room_type_inventory`;
  const rows = await query(
    em,
    options.lock ? 'stays.readInventory.locked' : 'stays.readInventory',
    sql`${locked}select rt.id as room_type_id, h.id as hotel_id, h.timezone, h.currency,
               coalesce((select json_agg(json_build_array(i.date::text, i.total, i.reserved, i.sell_limit, i.version)
                                         order by i.date)
                           from ${inventory} i
                          where i.room_type_id = rt.id and i.date >= ${from}::date and i.date < ${to}::date), '[]') as inventory,
               coalesce((select json_agg(json_build_array(r.date::text, r.amount_minor) order by r.date)
                           from room_type_rate r
                          where r.room_type_id = rt.id and r.date >= ${from}::date and r.date < ${to}::date), '[]') as rates,
               coalesce((select json_agg(json_build_array(p.min_occupancy_percent, p.adjustment_percent))
                           from pricing_rule p where p.room_type_id = rt.id), '[]') as rules
          from room_type rt join hotel h on h.id = rt.hotel_id
         where rt.id = any(${pgArray(roomTypeIds)}::uuid[])`,
    rangeRow,
  );
  return new Map(
    rows.map((row) => [
      row.room_type_id,
      {
        roomTypeId: row.room_type_id,
        hotel: { id: row.hotel_id, timezone: row.timezone, currency: row.currency },
        inventory: new Map(
          row.inventory.map(([date, total, reserved, sellLimit, version]) => [
            date,
            { roomTypeId: row.room_type_id, date, total, reserved, sellLimit, version },
          ]),
        ),
        rates: new Map(row.rates),
        rules: row.rules.map(([minOccupancyPercent, adjustmentPercent]) => ({ minOccupancyPercent, adjustmentPercent })),
      },
    ]),
  );
}

/**
 * Gives `rooms` back on each inventory row of [from, to), in the caller's transaction,
 * under the inventory lock (a release must not fail for contention, and it takes the
 * rows in the order every writer does). Answers the dates it changed.
 */
export async function releaseInventory(
  tx: EntityManager,
  range: { roomTypeId: string; from: string; to: string },
  rooms: number,
): Promise<string[]> {
  const rows = await query(
    tx,
    'stays.releaseInventory',
    sql`with locked as materialized (${inventoryLock(range)})
        update room_type_inventory n set reserved = n.reserved - ${rooms}, version = n.version + 1
          from locked
         where n.room_type_id = locked.room_type_id and n.date = locked.date
        returning n.date::text as date`,
    z.object({ date: column.date }),
  );
  return rows.map((row) => row.date).sort();
}
