import type { Client } from 'pg';
import type { Scale } from './scales.js';

/** The room type every client of reserve-hot books: a sell limit that never runs out during a run. */
export const HOT_ROOMS = 10_000_000;

/**
 * Bulk SQL: hotels, room types, physical rooms, and a year of inventory and rates,
 * from tomorrow (UTC hotels: "today" is the database's current_date). One extra
 * hotel holds the hot room type. Returns seconds taken.
 */
export async function seed(db: Client, scale: Scale): Promise<number> {
  const started = performance.now();
  const steps: [string, string][] = [
    [
      'hotels',
      `insert into hotel (id, name, city, timezone, currency, overbooking_percent, version, created_at)
       select gen_random_uuid(), 'Bench hotel ' || i, 'City ' || (i % 100), 'UTC', 'EUR', 10, 1, now()
         from generate_series(1, ${scale.hotels + 1}) i`,
    ],
    [
      'room types',
      `insert into room_type (id, hotel_id, name, max_occupancy, version)
       select gen_random_uuid(), h.id, 'Type ' || t, 2, 1 from hotel h, generate_series(1, ${scale.roomTypesPerHotel}) t`,
    ],
    [
      'rooms',
      `insert into room (id, hotel_id, room_type_id, number, out_of_service, version)
       select gen_random_uuid(), rt.hotel_id, rt.id, rt.name || '-' || r, false, 1
         from room_type rt, generate_series(1, ${scale.roomsPerRoomType}) r`,
    ],
    [
      'inventory',
      `insert into room_type_inventory (room_type_id, date, hotel_id, total, reserved, sell_limit, version)
       select rt.id, d::date, rt.hotel_id, ${scale.roomsPerRoomType}, 0, ${Math.floor(scale.roomsPerRoomType * 1.1)}, 1
         from room_type rt, generate_series(current_date + 1, current_date + ${scale.nights}, interval '1 day') d`,
    ],
    [
      'rates',
      `insert into room_type_rate (room_type_id, date, hotel_id, amount_minor)
       select rt.id, d::date, rt.hotel_id, 8000 + (abs(hashtext(rt.id::text || d::text)) % 8000)
         from room_type rt, generate_series(current_date + 1, current_date + ${scale.nights}, interval '1 day') d`,
    ],
    [
      'hot room type',
      `update room_type_inventory set total = ${HOT_ROOMS}, sell_limit = ${HOT_ROOMS}
        where room_type_id = (select id from room_type where hotel_id = (select id from hotel where name = 'Bench hotel ${scale.hotels + 1}') order by name limit 1)`,
    ],
    // VACUUM as well: the rows were written in bulk and autovacuum may be off (it is in CI),
    // so without it the first scenario to read each page pays for setting its hint bits
    // (and writing the page back out of a small shared_buffers) for every later one.
    ['vacuum and analyze', 'vacuum analyze'],
  ];
  for (const [what, sql] of steps) {
    const t = performance.now();
    const result = await db.query(sql);
    console.log(`  seeded ${what}: ${result.rowCount ?? ''} rows in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  return (performance.now() - started) / 1000;
}

export interface Catalog {
  /** Room types open to the spread scenario: [hotelId, roomTypeId]. */
  roomTypes: [string, string][];
  hotels: string[];
  hot: { hotelId: string; roomTypeId: string };
}

export async function loadCatalog(db: Client, scale: Scale): Promise<Catalog> {
  const hotName = `Bench hotel ${scale.hotels + 1}`;
  const rows = await db.query<{ id: string; hotel_id: string; hot: boolean }>(
    `select rt.id, rt.hotel_id, h.name = $1 as hot from room_type rt join hotel h on h.id = rt.hotel_id order by rt.name`,
    [hotName],
  );
  const spread = rows.rows.filter((r) => !r.hot);
  const hot = rows.rows.find((r) => r.hot)!;
  return {
    roomTypes: spread.map((r) => [r.hotel_id, r.id]),
    hotels: [...new Set(spread.map((r) => r.hotel_id))],
    hot: { hotelId: hot.hotel_id, roomTypeId: hot.id },
  };
}
