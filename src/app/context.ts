import type { EntityManager } from '@mikro-orm/postgresql';
import type { OperationServices } from '../resolvers/context.js';
import type { BookingDeps } from '../services/booking/booking.deps.js';
import { ReservationService } from '../services/booking/reservation.service.js';
import { ReserveSaga } from '../services/booking/reserve.saga.js';
import { CatalogService } from '../services/catalog/catalog.service.js';
import { LiveService, type AvailabilityFeed } from '../services/live/live.service.js';
import { InventoryService } from '../services/stays/inventory.service.js';
import { SearchService } from '../services/stays/search.service.js';
import type { StayCache } from '../services/stays/stay-cache.js';
import { VenueCatalogService } from '../services/venues/catalog/venue-catalog.service.js';
import { SeatMapService } from '../services/venues/seat-map.service.js';
import type { VenueDeps } from '../services/venues/venue.deps.js';
import { BookingService } from '../services/venues/bookings/booking.service.js';
import { CheckoutService } from '../services/venues/bookings/checkout.service.js';
import { HoldService } from '../services/venues/holds/hold.service.js';
import type { SeatFeed } from '../services/venues/live/seat-feed.js';
import { SeatLiveService } from '../services/venues/live/seat-live.service.js';
import { RestaurantService } from '../services/venues/dining/restaurant.service.js';
import { OfferingLiveService } from '../services/venues/live/offering-live.service.js';
import { ExhibitionService } from '../services/venues/timed-entry/exhibition.service.js';

/** What every operation's services share: the saga's collaborators and this server's live feed. */
export interface ServerDeps {
  booking: BookingDeps;
  feed: AvailabilityFeed;
  venues: VenueDeps;
  seatFeed: SeatFeed;
  /** This server's cache of the nights searches read. */
  stayCache: StayCache;
}

/** The composition root of one operation: its services, over its own ORM context (`em`, a fork). */
export function operationServices(em: EntityManager, { booking, feed, venues, seatFeed, stayCache }: ServerDeps): OperationServices {
  const inventory = new InventoryService(em, stayCache);
  return {
    inventory,
    catalog: new CatalogService(em, inventory, stayCache),
    search: new SearchService(em, stayCache),
    saga: new ReserveSaga(em, booking),
    reservations: new ReservationService(em, booking),
    live: new LiveService(em, feed),
    venueCatalog: new VenueCatalogService(em, venues),
    seatMap: new SeatMapService(em, venues),
    holds: new HoldService(em, venues),
    checkout: new CheckoutService(em, booking, venues),
    bookings: new BookingService(em, booking, venues),
    seatsLive: new SeatLiveService(em, venues, seatFeed),
    exhibitions: new ExhibitionService(em, venues),
    restaurants: new RestaurantService(em, venues),
    offeringsLive: new OfferingLiveService(em, venues, seatFeed),
  };
}
