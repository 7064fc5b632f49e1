import { createParameterDecorator } from 'type-graphql';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { BookingDeps } from '../services/booking/booking.deps.js';
import type { Caller } from '../services/common/caller.js';
import { CatalogService } from '../services/catalog/catalog.service.js';
import { InventoryService } from '../services/stays/inventory.service.js';
import { LiveService, type AvailabilityFeed } from '../services/live/live.service.js';
import { ReservationService } from '../services/booking/reservation.service.js';
import { ReserveSaga } from '../services/booking/reserve.saga.js';
import { SearchService } from '../services/stays/search.service.js';

/** The services of one GraphQL operation, over that operation's own ORM context. */
export class OperationServices {
  readonly inventory: InventoryService;
  readonly catalog: CatalogService;
  readonly search: SearchService;
  readonly saga: ReserveSaga;
  readonly reservations: ReservationService;
  readonly live: LiveService;

  constructor(
    readonly em: EntityManager,
    { booking, feed }: ServerDeps,
  ) {
    this.inventory = new InventoryService(em);
    this.catalog = new CatalogService(em, this.inventory);
    this.search = new SearchService(em);
    this.saga = new ReserveSaga(em, booking);
    this.reservations = new ReservationService(em, booking);
    this.live = new LiveService(em, feed);
  }
}

/** What every operation's services share: the saga's collaborators and this server's live feed. */
export interface ServerDeps {
  booking: BookingDeps;
  feed: AvailabilityFeed;
}

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
