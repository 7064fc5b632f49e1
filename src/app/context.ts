import type { EntityManager } from '@mikro-orm/postgresql';
import type { OperationServices } from '../resolvers/context.js';
import type { BookingDeps } from '../services/booking/booking.deps.js';
import { ReservationService } from '../services/booking/reservation.service.js';
import { ReserveSaga } from '../services/booking/reserve.saga.js';
import { CatalogService } from '../services/catalog/catalog.service.js';
import { LiveService, type AvailabilityFeed } from '../services/live/live.service.js';
import { InventoryService } from '../services/stays/inventory.service.js';
import { SearchService } from '../services/stays/search.service.js';
import type { StayCache, StayViews } from '../services/stays/stay-cache.js';
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
  /** What services tell once a change of theirs has committed: the cache shows it, the relay publishes its events. */
  views: StayViews;
}

/**
 * The composition root of one operation: its services, over its own ORM context (a fork
 * of `root`). Each service, and the fork, is made when the operation first asks for it:
 * a search reads through `root` (one statement, no entity) and needs a fork only to show
 * room types, and a subscription keeps its context (and whatever it made) for as long as
 * it lives.
 */
export function operationServices(root: EntityManager, deps: ServerDeps): OperationServices {
  return new LazyServices(root, deps);
}

class LazyServices implements OperationServices {
  private forked?: EntityManager;
  private readonly made = new Map<keyof OperationServices, unknown>();

  constructor(
    private readonly root: EntityManager,
    private readonly deps: ServerDeps,
  ) {}

  private readonly em = (): EntityManager => (this.forked ??= this.root.fork());

  private service<K extends keyof OperationServices>(name: K, make: () => OperationServices[K]): OperationServices[K] {
    let service = this.made.get(name) as OperationServices[K] | undefined;
    if (!service) this.made.set(name, (service = make()));
    return service;
  }

  get inventory() {
    return this.service('inventory', () => new InventoryService(this.em(), this.deps.views));
  }
  get catalog() {
    return this.service('catalog', () => new CatalogService(this.em(), this.inventory, this.deps.views));
  }
  get search() {
    return this.service('search', () => new SearchService(this.em, this.deps.stayCache, this.root));
  }
  get saga() {
    return this.service('saga', () => new ReserveSaga(this.em(), this.deps.booking));
  }
  get reservations() {
    return this.service('reservations', () => new ReservationService(this.em(), this.deps.booking));
  }
  /** Forks of its own for the checks at subscribe, not kept: a subscription keeps its context for its lifetime. */
  get live() {
    return this.service('live', () => new LiveService(() => this.root.fork(), this.deps.feed));
  }
  get venueCatalog() {
    return this.service('venueCatalog', () => new VenueCatalogService(this.em(), this.deps.venues));
  }
  get seatMap() {
    return this.service('seatMap', () => new SeatMapService(this.em(), this.deps.venues));
  }
  get holds() {
    return this.service('holds', () => new HoldService(this.em(), this.deps.venues));
  }
  get checkout() {
    return this.service('checkout', () => new CheckoutService(this.em(), this.deps.booking, this.deps.venues));
  }
  get bookings() {
    return this.service('bookings', () => new BookingService(this.em(), this.deps.booking, this.deps.venues));
  }
  get seatsLive() {
    return this.service('seatsLive', () => new SeatLiveService(this.em(), this.deps.venues, this.deps.seatFeed));
  }
  get exhibitions() {
    return this.service('exhibitions', () => new ExhibitionService(this.em(), this.deps.venues));
  }
  get restaurants() {
    return this.service('restaurants', () => new RestaurantService(this.em(), this.deps.venues));
  }
  get offeringsLive() {
    return this.service('offeringsLive', () => new OfferingLiveService(this.em(), this.deps.venues, this.deps.seatFeed));
  }
}
