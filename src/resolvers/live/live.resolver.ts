import { Arg, ID, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import type { GraphQLContext } from '../context.js';
import { InventoryDay } from '../../schema/stays/inventory.types.js';
import { InventoryChange } from '../../schema/live/live.types.js';
import { LocalDateScalar } from '../../schema/common/scalars.js';
import type { AvailabilityFilter } from '../../services/live/live.service.js';
import type { AvailabilityEvent } from '../../services/stays/availability.js';

@Resolver()
export class LiveResolver {
  @Subscription(() => InventoryChange, {
    description:
      'Pushes every committed change of inventory, sales or rates of the hotel (optionally one room type, optionally nights overlapping [from, to)).',
    subscribe: ({ args, context }: SubscribeResolverData<unknown, AvailabilityFilter, GraphQLContext>) =>
      context.services.live.availability(args),
  })
  availabilityChanged(
    @Root() event: AvailabilityEvent,
    @Arg('hotelId', () => ID) _hotelId: string,
    @Arg('roomTypeId', () => ID, { nullable: true }) _roomTypeId: string | null,
    @Arg('from', () => LocalDateScalar, { nullable: true }) _from: string | null,
    @Arg('to', () => LocalDateScalar, { nullable: true }) _to: string | null,
  ): InventoryChange {
    // The event already carries the contract's shape: money as { amount, currency }.
    return { ...event, days: event.days as InventoryDay[], at: new Date(event.at) };
  }
}
