import { createParameterDecorator } from 'type-graphql';
import type { ReservationService } from '../services/booking/reservation.service.js';
import type { ReserveSaga } from '../services/booking/reserve.saga.js';
import type { CatalogService } from '../services/catalog/catalog.service.js';
import type { Caller } from '../services/common/caller.js';
import type { LiveService } from '../services/live/live.service.js';
import type { InventoryService } from '../services/stays/inventory.service.js';
import type { SearchService } from '../services/stays/search.service.js';

/** The services of one GraphQL operation, over that operation's own ORM context (built by the app). */
export interface OperationServices {
  readonly catalog: CatalogService;
  readonly inventory: InventoryService;
  readonly search: SearchService;
  readonly saga: ReserveSaga;
  readonly reservations: ReservationService;
  readonly live: LiveService;
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
