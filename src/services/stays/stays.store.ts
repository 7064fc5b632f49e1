import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { column, execute, pgArray, query, Sql, sql } from '../common/sql.js';
import { minorDigits } from '../common/money.js';
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

/** What is stored for one room type over [from, to): its inventory rows, base rates and rules. */
export interface InventoryRange {
  roomTypeId: string;
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

/**
 * Locks the inventory rows of one room type's dates [from, to) (as `lockInventory`) and
 * bumps their versions, for a change to what those days show that does not write the
 * rows themselves (their rates, the room type's pricing rules): a day's version then
 * orders every view of it (the search cache relies on that), and a hold priced before
 * the change fails its version check instead of keeping the old price.
 */
export async function touchInventory(tx: EntityManager, range: { roomTypeId: string; from: string; to: string }): Promise<void> {
  await execute(
    tx,
    'stays.touchInventory',
    sql`with locked as materialized (${inventoryLock(range)})
        update room_type_inventory n set version = n.version + 1
          from locked
         where n.room_type_id = locked.room_type_id and n.date = locked.date`,
  );
}

/** The room type's hotel as a query (columns id, timezone, currency; no row: no such room type). */
export function roomTypeHotelSql(roomTypeId: string): Sql {
  return sql`select h.id, h.timezone, h.currency from room_type rt join hotel h on h.id = rt.hotel_id where rt.id = ${roomTypeId}::uuid`;
}

/** A room type's hotel (undefined: no such room type), for the hold to check its stay against before its statement. */
export async function readRoomTypeHotel(em: EntityManager, roomTypeId: string): Promise<StayHotel | undefined> {
  const rows = await query(
    em,
    'stays.readRoomTypeHotel',
    roomTypeHotelSql(roomTypeId),
    z.object({ id: column.uuid, timezone: column.text, currency: column.text }),
  );
  return rows[0];
}

/**
 * A room type's base rates over [from, to) and its pricing rules, read with a snapshot
 * taken when `after` has been evaluated (the function `stays_fresh_pricing`, see its
 * migration for why): a fragment for a FROM clause, with columns kind ('rate' or
 * 'rule'), date, amount_minor, min_occupancy_percent, adjustment_percent. A statement
 * that locked a stay's inventory rows passes an expression of its locked rows as
 * `after`, and so prices from the rates and rules in force once it held the locks.
 */
export function freshPricing(roomTypeId: string, from: string, to: string, after: Sql): Sql {
  return sql`stays_fresh_pricing(${roomTypeId}::uuid, ${from}::date, ${to}::date, (${after})::bigint)`;
}

/**
 * `nightlyRate` (./pricing.ts) in SQL, for a statement that prices from rows it locked:
 * the base rate `base` (bigint, minor units) adjusted by the rule of `rules` (a relation
 * with min_occupancy_percent and adjustment_percent) with the highest
 * min_occupancy_percent such that min_occupancy_percent * total <= 100 * reserved (when
 * total is 0, only a rule of 0), rounded half-up; the base rate when no rule applies.
 * Integer arithmetic (numeric for the division), as `nightlyRate` does; the pricing test
 * compares the two on many occupancies and rules.
 */
export function nightlyRateSql(base: Sql, reserved: Sql, total: Sql, rules: Sql): Sql {
  return sql`coalesce((select floor(((${base})::bigint * (100 + r.adjustment_percent) + 50)::numeric / 100)::bigint
                         from ${rules} r
                        where case when (${total}) > 0
                                   then r.min_occupancy_percent::bigint * (${total}) <= 100::bigint * (${reserved})
                                   else r.min_occupancy_percent = 0 end
                        order by r.min_occupancy_percent desc
                        limit 1), (${base})::bigint)`;
}

/**
 * An amount in minor units as the contract's Money in JSON ({ amount, currency }, the
 * amount as `formatAmount` writes it), or JSON null for null: for events built in SQL.
 */
export function moneyJsonSql(minor: Sql, currency: string): Sql {
  const digits = minorDigits(currency);
  const amount =
    digits === 0
      ? sql`(${minor})::text`
      : sql`case when (${minor}) < 0 then '-' else '' end || (abs(${minor}) / ${10 ** digits}::bigint)::text || '.'
              || lpad((abs(${minor}) % ${10 ** digits}::bigint)::text, ${digits}::int, '0')`;
  return sql`case when (${minor}) is null then 'null'::jsonb
                  else jsonb_build_object('amount', ${amount}, 'currency', ${currency}::text) end`;
}

/**
 * The `days` of an availability event (`availabilityEvent`, ./availability.ts) as a jsonb
 * array in date order, built in SQL from `rows`: a relation with date (date), version,
 * total, reserved, sell_limit, and base_minor and rate_minor (null: no rate) in minor
 * units of `currency`. The same JSON as the TypeScript builds from `inventoryDays`.
 */
export function availabilityDaysSql(rows: Sql, currency: string): Sql {
  return sql`select coalesce(jsonb_agg(jsonb_build_object(
                'date', d.date::text, 'version', d.version, 'total', d.total, 'reserved', d.reserved,
                'sellLimit', d.sell_limit, 'available', greatest(0, d.sell_limit - d.reserved),
                'baseRate', ${moneyJsonSql(sql`d.base_minor`, currency)}, 'rate', ${moneyJsonSql(sql`d.rate_minor`, currency)}
              ) order by d.date), '[]'::jsonb)
               from ${rows} d`;
}

/** The columns of a `room_type_inventory` row as the store selects them (`date` as text). */
const inventoryColumns = {
  room_type_id: column.uuid,
  date: column.date,
  total: column.int,
  reserved: column.int,
  sell_limit: column.int,
  version: column.int,
};

const toInventoryRow = (row: z.infer<z.ZodObject<typeof inventoryColumns>>): InventoryRow => ({
  roomTypeId: row.room_type_id,
  date: row.date,
  total: row.total,
  reserved: row.reserved,
  sellLimit: row.sell_limit,
  version: row.version,
});

/** Locks the existing inventory rows of the scope (see `inventoryLock`) in the caller's transaction, and reads them. */
export function lockInventory(tx: EntityManager, scope: InventoryScope): Promise<InventoryRow[]> {
  return query(
    tx,
    'stays.lockInventory',
    sql`with locked as materialized (${inventoryLock(scope)})
        select room_type_id, date::text as date, total, reserved, sell_limit, version
          from locked order by room_type_id, date`,
    z.object(inventoryColumns).transform(toInventoryRow),
  );
}

/**
 * One row of `readInventory`'s statement, by `kind`: an inventory row, a base rate, a
 * pricing rule, or (when asked for) the room type's hotel. Columns a kind does not use
 * are null. int2/int4 come back as numbers; amount_minor is int8, a string.
 */
export const stayRow = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('inventory'), ...inventoryColumns }),
  z.object({ kind: z.literal('rate'), room_type_id: column.uuid, date: column.date, amount_minor: column.bigint }),
  z.object({
    kind: z.literal('rule'),
    room_type_id: column.uuid,
    min_occupancy_percent: column.int,
    adjustment_percent: column.int,
  }),
  z.object({
    kind: z.literal('hotel'),
    room_type_id: column.uuid.nullable(),
    hotel_id: column.uuid,
    timezone: column.text,
    currency: column.text,
  }),
  z.object({
    kind: z.literal('roomType'),
    room_type_id: column.uuid,
    hotel_id: column.uuid,
    version: column.int,
    name: column.text,
    description: column.text.nullable(),
    max_occupancy: column.int,
  }),
]);

type StayRow = z.infer<typeof stayRow>;

const isText = (value: unknown): value is string => typeof value === 'string';
const isInt = (value: unknown): value is number => Number.isInteger(value);
const INT8_TEXT = /^-?\d+$/;

/**
 * `stayRow.parse`, with the usual rows checked by hand: a search reads 30 to 300 of these
 * rows, and zod's parse of them was a tenth of a cold search's CPU (bench/RESULTS.md). A
 * row whose kind and columns have the types `stayRow` asks for is taken as it is (the
 * uuid and date columns are PostgreSQL's own text of those types, which zod's patterns
 * would only check again); any other row goes through zod, which answers it or says what
 * is wrong with it.
 */
export function checkedStayRow(raw: unknown): StayRow {
  const row = raw as Record<string, unknown>;
  if (typeof raw === 'object' && raw !== null && isText(row.room_type_id)) {
    if (row.kind === 'inventory') {
      if (isText(row.date) && isInt(row.total) && isInt(row.reserved) && isInt(row.sell_limit) && isInt(row.version)) {
        const { room_type_id, date, total, reserved, sell_limit, version } = row;
        return { kind: 'inventory', room_type_id, date, total, reserved, sell_limit, version };
      }
    } else if (row.kind === 'rate') {
      const amount = isText(row.amount_minor) && INT8_TEXT.test(row.amount_minor) ? Number(row.amount_minor) : NaN;
      if (isText(row.date) && Number.isSafeInteger(amount)) {
        return { kind: 'rate', room_type_id: row.room_type_id, date: row.date, amount_minor: amount };
      }
    } else if (row.kind === 'rule') {
      const { room_type_id, min_occupancy_percent, adjustment_percent } = row;
      if (isInt(min_occupancy_percent) && isInt(adjustment_percent)) {
        return { kind: 'rule', room_type_id, min_occupancy_percent, adjustment_percent };
      }
    }
  }
  return stayRow.parse(raw);
}

/** A room type as stored (its row), for the search to map into an entity without another read. */
export interface RoomTypeRow {
  id: string;
  hotel: string;
  name: string;
  description: string | null;
  maxOccupancy: number;
  version: number;
}

/**
 * The stored numbers of these room types over [from, to): inventory rows with their
 * versions (in date order), base rates and pricing rules. One statement, so one round
 * trip for a search of a whole hotel. Every id asked for is in the answer, empty if
 * nothing is stored.
 *
 * A UNION ALL of plain rows: PostgreSQL plans every statement (the ORM inlines values),
 * and this shape plans and runs in about half the time of one row of JSON aggregates
 * per room type (pgbench, same data).
 */
export async function readInventory(
  em: EntityManager,
  roomTypeIds: readonly string[],
  from: string,
  to: string,
): Promise<Map<string, InventoryRange>> {
  const ids = sql`any(${pgArray(roomTypeIds)}::uuid[])`;
  const rows = await query(em, 'stays.readInventory', sql`${stayRows(ids, sql`room_type_inventory`, from, to)} order by date`, z.unknown());
  return rangesOf(roomTypeIds, rows.map(checkedStayRow)).ranges;
}

/**
 * A hotel with all its room types and what is stored for each over [from, to), in one
 * statement (the search's one round trip): undefined when there is no such hotel.
 * Room types come in id order.
 */
export async function readHotelStays(em: EntityManager, hotelId: string, from: string, to: string): Promise<HotelStays | undefined> {
  // The rows are checked once, where they are gathered.
  return hotelStaysOf(await query(em, 'stays.readHotelStays', hotelStaysStatement(hotelId, from, to), z.unknown()));
}

export interface HotelStays {
  hotel: StayHotel;
  roomTypes: RoomTypeRow[];
  ranges: Map<string, InventoryRange>;
}

/** `readHotelStays`'s statement, for a reader without the ORM (the benchmark's bare-pg ceiling runs this very statement). */
export function hotelStaysStatement(hotelId: string, from: string, to: string): Sql {
  const ids = sql`any(array(select id from room_type where hotel_id = ${hotelId}::uuid))`;
  return sql`${stayRows(ids, sql`room_type_inventory`, from, to)}
        union all
        select 'hotel', null, null, null, null, null, null, null, null, null, h.id, h.timezone, h.currency, null, null, null
          from hotel h where h.id = ${hotelId}::uuid
        union all
        select 'roomType', rt.id, null, null, null, null, rt.version, null, null, null, rt.hotel_id, null, null,
               rt.name, rt.description, rt.max_occupancy
          from room_type rt where rt.hotel_id = ${hotelId}::uuid
        order by date, room_type_id`;
}

/** The rows of `hotelStaysStatement`, checked and gathered. */
export function hotelStaysOf(rows: readonly unknown[]): HotelStays | undefined {
  const { ranges, hotel, roomTypes } = rangesOf(undefined, rows.map(checkedStayRow));
  return hotel ? { hotel, roomTypes, ranges } : undefined;
}

/** The inventory, rate and rule rows of the room types `ids` names (the UNION ALL both reads share). */
function stayRows(ids: Sql, inventory: Sql, from: string, to: string): Sql {
  return sql`select 'inventory' as kind, room_type_id, date::text as date, total, reserved, sell_limit, version,
               null::bigint as amount_minor, null::smallint as min_occupancy_percent, null::smallint as adjustment_percent,
               null::uuid as hotel_id, null::text as timezone, null::text as currency,
               null::text as name, null::text as description, null::smallint as max_occupancy
          from ${inventory} where room_type_id = ${ids} and date >= ${from}::date and date < ${to}::date
        union all
        select 'rate', room_type_id, date::text, null, null, null, null, amount_minor, null, null, null, null, null, null, null, null
          from room_type_rate where room_type_id = ${ids} and date >= ${from}::date and date < ${to}::date
        union all
        select 'rule', room_type_id, null, null, null, null, null, null, min_occupancy_percent, adjustment_percent,
               null, null, null, null, null, null
          from pricing_rule where room_type_id = ${ids}`;
}

/**
 * The rows of a stay read, gathered per room type (every id of `roomTypeIds` present,
 * empty if nothing is stored; without it, the room types the rows name), with the hotel
 * and the room type rows when they were read.
 */
function rangesOf(roomTypeIds: readonly string[] | undefined, rows: StayRow[]) {
  const ranges = new Map<string, InventoryRange>();
  const rangeOf = (id: string) => {
    let range = ranges.get(id);
    if (!range) ranges.set(id, (range = { roomTypeId: id, inventory: new Map(), rates: new Map(), rules: [] }));
    return range;
  };
  for (const id of roomTypeIds ?? []) rangeOf(id);
  let hotel: StayHotel | undefined;
  const roomTypes: RoomTypeRow[] = [];
  // Rows come in date order, so each range's inventory does too (an event without
  // explicit dates lists every row in that order).
  for (const row of rows) {
    if (row.kind === 'inventory') {
      rangeOf(row.room_type_id).inventory.set(row.date, toInventoryRow(row));
    } else if (row.kind === 'rate') {
      rangeOf(row.room_type_id).rates.set(row.date, row.amount_minor);
    } else if (row.kind === 'rule') {
      rangeOf(row.room_type_id).rules.push({ minOccupancyPercent: row.min_occupancy_percent, adjustmentPercent: row.adjustment_percent });
    } else if (row.kind === 'hotel') {
      hotel = { id: row.hotel_id, timezone: row.timezone, currency: row.currency };
    } else {
      rangeOf(row.room_type_id);
      roomTypes.push({
        id: row.room_type_id,
        hotel: row.hotel_id,
        name: row.name,
        description: row.description,
        maxOccupancy: row.max_occupancy,
        version: row.version,
      });
    }
  }
  roomTypes.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { ranges, hotel, roomTypes };
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
