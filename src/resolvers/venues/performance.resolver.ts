import { Arg, Authorized, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Performance } from '../../entities/venues/performance.entity.js';
import { SeatingChart } from '../../entities/venues/seating-chart.entity.js';
import { Venue } from '../../entities/venues/venue.entity.js';
import type { Caller } from '../../services/common/caller.js';
import type { SeatStatusName } from '../../services/venues/holds/hold-engine.js';
import { JSONObjectScalar } from '../../schema/venues/json-object.js';
import { SeatStatus } from '../../schema/venues/offering.types.js';
import { BlockSeatsInput, CreatePerformanceInput, UpdatePerformanceInput } from '../../schema/venues/venue.inputs.js';
import { CategoryPrice, SeatState, SectionAvailability } from '../../schema/venues/venue.types.js';
import { CurrentUser, Services, type OperationServices } from '../context.js';

@Resolver(() => Performance)
export class PerformanceResolver {
  @Query(() => Performance, { nullable: true })
  performance(@Arg('id', () => ID) id: string, @Services() s: OperationServices): Promise<Performance | null> {
    return s.venueCatalog.performance(id);
  }

  @FieldResolver(() => Venue)
  venue(@Root() performance: Performance, @Services() s: OperationServices): Promise<Venue> {
    return s.venueCatalog.venueOf(performance);
  }

  @FieldResolver(() => SeatingChart)
  seatingChart(@Root() performance: Performance, @Services() s: OperationServices): Promise<SeatingChart> {
    return s.venueCatalog.chartOf(performance);
  }

  @FieldResolver(() => [CategoryPrice])
  async prices(@Root() performance: Performance, @Services() s: OperationServices): Promise<CategoryPrice[]> {
    return (await s.venueCatalog.pricesOf(performance)).map(CategoryPrice.from);
  }

  @FieldResolver(() => JSONObjectScalar, {
    nullable: true,
    description: "JSON Schema (draft 2020-12) that checkout's details must satisfy; null: details must be absent or {}.",
  })
  detailsSchema(@Root() performance: Performance): Record<string, unknown> | null {
    return performance.detailsSchema;
  }

  @FieldResolver(() => Int)
  available(@Root() performance: Performance, @Services() s: OperationServices): Promise<number> {
    return s.seatMap.available(performance);
  }

  @FieldResolver(() => [SectionAvailability])
  async sections(@Root() performance: Performance, @Services() s: OperationServices): Promise<SectionAvailability[]> {
    return (await s.seatMap.sections(performance)).map(SectionAvailability.from);
  }

  @FieldResolver(() => [SeatState], { description: 'Seat states, optionally of some sections and/or one status.' })
  seats(
    @Root() performance: Performance,
    @Arg('sectionKeys', () => [String], { nullable: true }) sectionKeys: string[] | null,
    @Arg('status', () => SeatStatus, { nullable: true }) status: SeatStatusName | null,
    @Services() s: OperationServices,
  ): Promise<SeatState[]> {
    return s.seatMap.seats(performance, { sectionKeys, status });
  }

  @Authorized()
  @Mutation(() => Performance)
  createPerformance(
    @Arg('input') input: CreatePerformanceInput,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<Performance> {
    return s.venueCatalog.createPerformance(caller, input);
  }

  @Authorized()
  @Mutation(() => Performance)
  updatePerformance(
    @Arg('input') input: UpdatePerformanceInput,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<Performance> {
    return s.venueCatalog.updatePerformance(caller, input);
  }

  @Authorized()
  @Mutation(() => [SeatState])
  blockSeats(
    @Arg('input') input: BlockSeatsInput,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<SeatState[]> {
    return s.seatMap.blockSeats(caller, input);
  }
}
