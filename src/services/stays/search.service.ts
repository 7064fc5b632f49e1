import type { EntityManager } from '@mikro-orm/postgresql';
import { Hotel } from '../../entities/catalog/hotel.entity.js';
import { isId } from '../../entities/id.js';
import { RoomType } from '../../entities/catalog/room-type.entity.js';
import { notFound } from '../common/errors.js';
import { daysOf } from './inventory-day.js';
import type { StayCache } from './stay-cache.js';
import type { HotelStays, RoomTypeRow } from './stays.store.js';
import { assertNotPast, validateStayShape, type Stay } from './stay.validation.js';

/** An offer of one room type: its row as stored (`roomTypeOf` makes it an entity). */
export interface Offer {
  roomType: RoomTypeRow;
  available: number;
  nights: { date: string; priceMinor: number }[];
  totalMinor: number;
  currency: string;
}

/**
 * The offers of a hotel for a stay, from what is stored: the room types (in id order)
 * that can take every night for the rooms asked, priced night by night. Pure, so the
 * benchmark's bare-pg ceiling computes exactly this too.
 */
export function offersOf(stored: HotelStays, stay: Stay): Offer[] {
  const offers: Offer[] = [];
  for (const row of stored.roomTypes) {
    const days = daysOf(stored.ranges.get(row.id)!, stay.nights, stored.hotel.currency);
    if (days.some((day) => day.rateMinor === null || day.available < stay.rooms)) continue;
    const nights = days.map((day) => ({ date: day.date, priceMinor: day.rateMinor! }));
    offers.push({
      roomType: row,
      available: Math.min(...days.map((day) => day.available)),
      nights,
      totalMinor: nights.reduce((sum, night) => sum + night.priceMinor, 0) * stay.rooms,
      currency: stored.hotel.currency,
    });
  }
  return offers;
}

/**
 * Availability search: from this server's cache of nights when they are there (kept
 * current by the event stream: stay-cache.ts), else one statement for the whole hotel,
 * whatever its size (the hotel, its room types, and their inventory, rates and rules),
 * which fills the cache. On this machine a round trip to PostgreSQL costs more CPU than
 * the rest of a search (bench/RESULTS.md).
 */
export class SearchService {
  constructor(
    /** The operation's ORM context, made on first use: only an answer that shows room types needs one. */
    private readonly em: () => EntityManager,
    private readonly cache: StayCache,
    /** Runs the search's read: one statement outside any transaction, which loads no entity. */
    private readonly reader: EntityManager,
  ) {}

  async search(input: { hotelId: string; checkIn: string; checkOut: string; rooms?: number | null }): Promise<Offer[]> {
    if (!isId(input.hotelId)) throw notFound('Hotel', input.hotelId);
    const stay = validateStayShape(input);
    let found = this.cache.lookup(input.hotelId, stay);
    if (!found) {
      const stored = await this.cache.load(this.reader, input.hotelId, stay);
      if (!stored) throw notFound('Hotel', input.hotelId);
      found = { hotel: stored.hotel, offers: offersOf(stored, stay) };
    }
    assertNotPast(stay, found.hotel.timezone);
    return found.offers;
  }

  /** An offer's room type as the ORM would have loaded it, without another read. */
  roomTypeOf(row: RoomTypeRow): RoomType {
    const em = this.em();
    return em.map(RoomType, { ...row, hotel: em.getReference(Hotel, row.hotel) });
  }
}
