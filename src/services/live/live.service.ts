import type { EntityManager } from '@mikro-orm/postgresql';
import { Hotel } from '../../entities/catalog/hotel.entity.js';
import { RoomType } from '../../entities/catalog/room-type.entity.js';
import { isLocalDate } from '../common/dates.js';
import { badInput, notFound } from '../common/errors.js';
import { findOrNotFound } from '../common/lookup.js';
import type { AvailabilityEvent } from '../stays/availability.js';

export interface AvailabilityFilter {
  hotelId: string;
  roomTypeId?: string | null;
  from?: string | null;
  to?: string | null;
}

/** Where live events come from: this server's bus. */
export interface AvailabilityFeed {
  subscribe(filter: AvailabilityFilter): AsyncIterableIterator<AvailabilityEvent>;
}

/** Live availability is public: anyone may watch a hotel, once its ids and dates check out. */
export class LiveService {
  constructor(
    /** An ORM context for the checks, made per subscription and dropped after them (a subscription lives long). */
    private readonly fork: () => EntityManager,
    private readonly feed: AvailabilityFeed,
  ) {}

  async availability(filter: AvailabilityFilter): Promise<AsyncIterableIterator<AvailabilityEvent>> {
    const em = this.fork();
    const hotel = await findOrNotFound(em, Hotel, filter.hotelId);
    if (filter.roomTypeId != null) {
      const roomType = await findOrNotFound(em, RoomType, filter.roomTypeId);
      if (roomType.hotel.id !== hotel.id) throw notFound('RoomType', filter.roomTypeId);
    }
    for (const field of ['from', 'to'] as const) {
      const value = filter[field];
      if (value != null && !isLocalDate(value)) throw badInput(field, 'must be a date YYYY-MM-DD');
    }
    if (filter.from != null && filter.to != null && filter.from >= filter.to) throw badInput('to', 'must be after from');
    return this.feed.subscribe({ ...filter, hotelId: hotel.id });
  }
}
