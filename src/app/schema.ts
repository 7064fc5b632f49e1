import 'reflect-metadata';
import { GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { buildSchema, type AuthChecker, type PubSub } from 'type-graphql';
import { HotelResolver } from '../resolvers/catalog/hotel.resolver.js';
import { InventoryResolver } from '../resolvers/stays/inventory.resolver.js';
import { LiveResolver } from '../resolvers/live/live.resolver.js';
import { ReservationResolver } from '../resolvers/booking/reservation.resolver.js';
import { RoomResolver } from '../resolvers/catalog/room.resolver.js';
import { RoomTypeResolver } from '../resolvers/catalog/room-type.resolver.js';
import { SearchResolver } from '../resolvers/stays/search.resolver.js';
import { PerformanceResolver } from '../resolvers/venues/performance.resolver.js';
import { SeatingChartResolver } from '../resolvers/venues/seating-chart.resolver.js';
import { VenueResolver } from '../resolvers/venues/venue.resolver.js';
import { BookingResolver } from '../resolvers/venues/booking.resolver.js';
import { HoldResolver } from '../resolvers/venues/hold.resolver.js';
import { SeatsLiveResolver } from '../resolvers/venues/seats-live.resolver.js';
import { ExhibitionResolver } from '../resolvers/venues/exhibition.resolver.js';
import { RestaurantResolver } from '../resolvers/venues/restaurant.resolver.js';
import { OfferingLiveResolver } from '../resolvers/venues/offering-live.resolver.js';
import { forbidden } from '../services/common/errors.js';
import type { GraphQLContext } from '../resolvers/context.js';
import { ErrorCodeType } from '../schema/common/error-code.js';
import { Money } from '../schema/common/money.js';
import { DateTimeScalar, LocalDateScalar } from '../schema/common/scalars.js';

/**
 * The coarse gate: `@Authorized()` needs a valid token, `@Authorized('admin')` that role.
 * Per-hotel rights are the services' to check.
 */
const authChecker: AuthChecker<GraphQLContext> = ({ context }, roles) => {
  const principal = context.caller.require();
  if (roles.length > 0 && !roles.includes(principal.role)) throw forbidden();
  return true;
};

/**
 * type-graphql insists on a PubSub whenever a schema has subscriptions, but ours
 * subscribe to the availability feed themselves (`subscribe:` on @Subscription), so
 * topic-based publishing is never reached.
 */
const noTopics: PubSub = {
  publish: () => {
    throw new Error('topic subscriptions are not used: publish through the outbox');
  },
  subscribe: () => {
    throw new Error('topic subscriptions are not used: subscribe to the availability feed');
  },
};

export async function buildAppSchema(): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: [
      HotelResolver,
      RoomTypeResolver,
      RoomResolver,
      InventoryResolver,
      SearchResolver,
      ReservationResolver,
      LiveResolver,
      VenueResolver,
      SeatingChartResolver,
      PerformanceResolver,
      HoldResolver,
      BookingResolver,
      SeatsLiveResolver,
      ExhibitionResolver,
      RestaurantResolver,
      OfferingLiveResolver,
    ],
    authChecker,
    validate: false,
    pubSub: noTopics,
    // Contract types that no field returns yet still belong to the API.
    orphanedTypes: [Money],
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
  });
  return withContractTypes(schema);
}

/** ErrorCode and the scalars are part of the contract even where no field uses them. */
function withContractTypes(schema: GraphQLSchema): GraphQLSchema {
  const config = schema.toConfig();
  const present = new Set(config.types.map((type) => type.name));
  const extra = [ErrorCodeType, LocalDateScalar, DateTimeScalar].filter((type) => !present.has(type.name));
  return lexicographicSortSchema(new GraphQLSchema({ ...config, types: [...config.types, ...extra] }));
}

export function printAppSchema(schema: GraphQLSchema): string {
  return printSchema(schema) + '\n';
}
