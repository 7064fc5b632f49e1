import { Arg, Authorized, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Exhibition } from '../../entities/venues/exhibition.entity.js';
import { Restaurant } from '../../entities/venues/restaurant.entity.js';
import { SeatingChart } from '../../entities/venues/seating-chart.entity.js';
import { Venue } from '../../entities/venues/venue.entity.js';
import type { Caller } from '../../services/common/caller.js';
import { toConnection } from '../../schema/common/connection.js';
import { CreateVenueInput, UpdateVenueInput } from '../../schema/venues/venue.inputs.js';
import { PerformanceConnection, VenueConnection } from '../../schema/venues/venue.types.js';
import { CurrentUser, Services, type OperationServices } from '../context.js';

@Resolver(() => Venue)
export class VenueResolver {
  @Query(() => Venue, { nullable: true })
  venue(@Arg('id', () => ID) id: string, @Services() s: OperationServices): Promise<Venue | null> {
    return s.venueCatalog.venue(id);
  }

  @Query(() => VenueConnection)
  async venues(
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('city', () => String, { nullable: true }) city: string | null,
    @Services() s: OperationServices,
  ): Promise<VenueConnection> {
    return toConnection(await s.venueCatalog.venues({ first, after, city }));
  }

  @FieldResolver(() => [SeatingChart])
  seatingCharts(@Root() venue: Venue, @Services() s: OperationServices): Promise<SeatingChart[]> {
    return s.venueCatalog.seatingChartsOf(venue);
  }

  @FieldResolver(() => PerformanceConnection, { description: 'Performances starting in [from, to), earliest first.' })
  async performances(
    @Root() venue: Venue,
    @Arg('from', () => Date, { nullable: true }) from: Date | null,
    @Arg('to', () => Date, { nullable: true }) to: Date | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Services() s: OperationServices,
  ): Promise<PerformanceConnection> {
    return toConnection(await s.venueCatalog.performancesOf(venue, { from, to, first, after }));
  }

  @FieldResolver(() => [Exhibition])
  exhibitions(@Root() venue: Venue, @Services() s: OperationServices): Promise<Exhibition[]> {
    return s.exhibitions.exhibitionsOf(venue);
  }

  @FieldResolver(() => [Restaurant])
  restaurants(@Root() venue: Venue, @Services() s: OperationServices): Promise<Restaurant[]> {
    return s.restaurants.restaurantsOf(venue);
  }

  @Authorized('admin')
  @Mutation(() => Venue)
  createVenue(
    @Arg('input') input: CreateVenueInput,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<Venue> {
    return s.venueCatalog.createVenue(caller, input);
  }

  @Authorized()
  @Mutation(() => Venue)
  updateVenue(
    @Arg('input') input: UpdateVenueInput,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<Venue> {
    return s.venueCatalog.updateVenue(caller, input);
  }
}
