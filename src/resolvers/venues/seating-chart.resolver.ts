import { Arg, Authorized, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { SeatingChart } from '../../entities/venues/seating-chart.entity.js';
import { Venue } from '../../entities/venues/venue.entity.js';
import type { Caller } from '../../services/common/caller.js';
import { CreateSeatingChartInput } from '../../schema/venues/venue.inputs.js';
import { Section } from '../../schema/venues/venue.types.js';
import { CurrentUser, Services, type OperationServices } from '../context.js';

@Resolver(() => SeatingChart)
export class SeatingChartResolver {
  @Query(() => SeatingChart, { nullable: true })
  seatingChart(@Arg('id', () => ID) id: string, @Services() s: OperationServices): Promise<SeatingChart | null> {
    return s.venueCatalog.seatingChart(id);
  }

  @FieldResolver(() => Venue)
  venue(@Root() chart: SeatingChart, @Services() s: OperationServices): Promise<Venue> {
    return s.venueCatalog.venueOf(chart);
  }

  @FieldResolver(() => [Section])
  sections(@Root() chart: SeatingChart, @Services() s: OperationServices): Section[] {
    return s.venueCatalog.sectionsOf(chart);
  }

  @Authorized()
  @Mutation(() => SeatingChart)
  createSeatingChart(
    @Arg('input') input: CreateSeatingChartInput,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<SeatingChart> {
    return s.venueCatalog.createSeatingChart(caller, input);
  }
}
