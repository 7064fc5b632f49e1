import type { EntityManager } from '@mikro-orm/postgresql';
import { Hotel } from '../../entities/catalog/hotel.entity.js';
import { RoomType } from '../../entities/catalog/room-type.entity.js';
import { daysOf } from './inventory-day.js';
import { readInventory } from './stays.store.js';
import { findOrNotFound } from '../common/lookup.js';
import { validateStay } from './stay.validation.js';

export interface Offer {
  roomType: RoomType;
  available: number;
  nights: { date: string; priceMinor: number }[];
  totalMinor: number;
  currency: string;
}

/** Availability search: three statements for the whole hotel, whatever its size. */
export class SearchService {
  constructor(private readonly em: EntityManager) {}

  async search(input: { hotelId: string; checkIn: string; checkOut: string; rooms?: number | null }): Promise<Offer[]> {
    const hotel = await findOrNotFound(this.em, Hotel, input.hotelId);
    const stay = validateStay(input, hotel.timezone);
    const roomTypes = await this.em.find(RoomType, { hotel: hotel.id }, { orderBy: { id: 'asc' } });
    if (roomTypes.length === 0) return [];
    const stored = await readInventory(
      this.em,
      roomTypes.map((roomType) => roomType.id),
      stay.checkIn,
      stay.checkOut,
    );
    const offers: Offer[] = [];
    for (const roomType of roomTypes) {
      const days = daysOf(stored.get(roomType.id)!, stay.nights, hotel.currency);
      if (days.some((day) => day.rateMinor === null || day.available < stay.rooms)) continue;
      const nights = days.map((day) => ({ date: day.date, priceMinor: day.rateMinor! }));
      offers.push({
        roomType,
        available: Math.min(...days.map((day) => day.available)),
        nights,
        totalMinor: nights.reduce((sum, night) => sum + night.priceMinor, 0) * stay.rooms,
        currency: hotel.currency,
      });
    }
    return offers;
  }
}
