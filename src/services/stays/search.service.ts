import type { EntityManager } from '@mikro-orm/postgresql';
import { Hotel } from '../../entities/catalog/hotel.entity.js';
import { isId } from '../../entities/id.js';
import { RoomType } from '../../entities/catalog/room-type.entity.js';
import { notFound } from '../common/errors.js';
import { daysOf } from './inventory-day.js';
import { readHotelStays } from './stays.store.js';
import { assertNotPast, validateStayShape } from './stay.validation.js';

export interface Offer {
  roomType: RoomType;
  available: number;
  nights: { date: string; priceMinor: number }[];
  totalMinor: number;
  currency: string;
}

/**
 * Availability search: one statement for the whole hotel, whatever its size (the hotel,
 * its room types, and their inventory, rates and rules over the stay). On this machine a
 * round trip to PostgreSQL costs more CPU than the rest of a search (bench/RESULTS.md).
 */
export class SearchService {
  constructor(private readonly em: EntityManager) {}

  async search(input: { hotelId: string; checkIn: string; checkOut: string; rooms?: number | null }): Promise<Offer[]> {
    if (!isId(input.hotelId)) throw notFound('Hotel', input.hotelId);
    const stay = validateStayShape(input);
    const stored = await readHotelStays(this.em, input.hotelId, stay.checkIn, stay.checkOut);
    if (!stored) throw notFound('Hotel', input.hotelId);
    const { hotel } = stored;
    assertNotPast(stay, hotel.timezone);
    const offers: Offer[] = [];
    for (const row of stored.roomTypes) {
      const days = daysOf(stored.ranges.get(row.id)!, stay.nights, hotel.currency);
      if (days.some((day) => day.rateMinor === null || day.available < stay.rooms)) continue;
      const nights = days.map((day) => ({ date: day.date, priceMinor: day.rateMinor! }));
      offers.push({
        // The row as the ORM would have loaded it, without another read.
        roomType: this.em.map(RoomType, { ...row, hotel: this.em.getReference(Hotel, row.hotel) }),
        available: Math.min(...days.map((day) => day.available)),
        nights,
        totalMinor: nights.reduce((sum, night) => sum + night.priceMinor, 0) * stay.rooms,
        currency: hotel.currency,
      });
    }
    return offers;
  }
}
