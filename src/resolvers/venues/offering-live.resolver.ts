import { Arg, ID, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import type { DiningChangeView, TimeSlotsChangeView } from '../../services/venues/live/offering-live.service.js';
import { LocalDateScalar } from '../../schema/common/scalars.js';
import { DiningChange } from '../../schema/venues/dining.types.js';
import { TimeSlot, TimeSlotsChange } from '../../schema/venues/timed-entry.types.js';
import type { GraphQLContext } from '../context.js';

interface SlotsArgs {
  exhibitionId: string;
  date?: string | null;
}

interface DiningArgs {
  restaurantId: string;
  date?: string | null;
}

@Resolver()
export class OfferingLiveResolver {
  @Subscription(() => TimeSlotsChange, {
    description: "Every change of a slot's counts, capacity or price (optionally of one local date).",
    subscribe: ({ args, context }: SubscribeResolverData<unknown, SlotsArgs, GraphQLContext>) =>
      context.services.offeringsLive.timeSlots(args.exhibitionId, args.date ?? null),
  })
  timeSlotsChanged(
    @Root() change: TimeSlotsChangeView,
    @Arg('exhibitionId', () => ID) _exhibitionId: string,
    @Arg('date', () => LocalDateScalar, { nullable: true }) _date: string | null,
  ): TimeSlotsChange {
    return { ...change, slots: change.slots.map(TimeSlot.from) };
  }

  @Subscription(() => DiningChange, {
    description: 'Every change of table holds and bookings (optionally of one local date).',
    subscribe: ({ args, context }: SubscribeResolverData<unknown, DiningArgs, GraphQLContext>) =>
      context.services.offeringsLive.dining(args.restaurantId, args.date ?? null),
  })
  diningAvailabilityChanged(
    @Root() change: DiningChangeView,
    @Arg('restaurantId', () => ID) _restaurantId: string,
    @Arg('date', () => LocalDateScalar, { nullable: true }) _date: string | null,
  ): DiningChange {
    return change;
  }
}
