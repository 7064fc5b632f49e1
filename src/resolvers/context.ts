import { createParameterDecorator } from 'type-graphql';
import type { ReservationService } from '../services/booking/reservation.service.js';
import type { ReserveSaga } from '../services/booking/reserve.saga.js';
import type { CatalogService } from '../services/catalog/catalog.service.js';
import type { Caller } from '../services/common/caller.js';
import type { LiveService } from '../services/live/live.service.js';
import type { InventoryService } from '../services/stays/inventory.service.js';
import type { SearchService } from '../services/stays/search.service.js';
import type { VenueCatalogService } from '../services/venues/catalog/venue-catalog.service.js';
import type { SeatMapService } from '../services/venues/seat-map.service.js';
import type { BookingService } from '../services/venues/bookings/booking.service.js';
import type { CheckoutService } from '../services/venues/bookings/checkout.service.js';
import type { HoldService } from '../services/venues/holds/hold.service.js';
import type { SeatLiveService } from '../services/venues/live/seat-live.service.js';
import type { RestaurantService } from '../services/venues/dining/restaurant.service.js';
import type { OfferingLiveService } from '../services/venues/live/offering-live.service.js';
import type { ExhibitionService } from '../services/venues/timed-entry/exhibition.service.js';

/** The services of one GraphQL operation, over that operation's own ORM context (built by the app). */
export interface OperationServices {
  readonly catalog: CatalogService;
  readonly inventory: InventoryService;
  readonly search: SearchService;
  readonly saga: ReserveSaga;
  readonly reservations: ReservationService;
  readonly live: LiveService;
  readonly venueCatalog: VenueCatalogService;
  readonly seatMap: SeatMapService;
  readonly holds: HoldService;
  readonly checkout: CheckoutService;
  readonly bookings: BookingService;
  readonly seatsLive: SeatLiveService;
  readonly exhibitions: ExhibitionService;
  readonly restaurants: RestaurantService;
  readonly offeringsLive: OfferingLiveService;
}

/** What every resolver receives: who calls, and the services to call. */
export interface GraphQLContext {
  caller: Caller;
  services: OperationServices;
}

/** The caller of this operation (anonymous, authenticated, or with a rejected token). */
export function CurrentUser() {
  return createParameterDecorator<GraphQLContext>(({ context }) => context.caller);
}

/** This operation's services. */
export function Services() {
  return createParameterDecorator<GraphQLContext>(({ context }) => context.services);
}
