import { Arg, Authorized, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Exhibition } from '../../entities/venues/exhibition.entity.js';
import { Venue } from '../../entities/venues/venue.entity.js';
import type { Caller } from '../../services/common/caller.js';
import { LocalDateScalar } from '../../schema/common/scalars.js';
import { JSONObjectScalar } from '../../schema/venues/json-object.js';
import { CreateExhibitionInput, SetTimeSlotsInput, TimeSlot, UpdateExhibitionInput } from '../../schema/venues/timed-entry.types.js';
import { CurrentUser, Services, type OperationServices } from '../context.js';

@Resolver(() => Exhibition)
export class ExhibitionResolver {
  @Query(() => Exhibition, { nullable: true })
  exhibition(@Arg('id', () => ID) id: string, @Services() s: OperationServices): Promise<Exhibition | null> {
    return s.exhibitions.exhibition(id);
  }

  @FieldResolver(() => Venue)
  venue(@Root() exhibition: Exhibition, @Services() s: OperationServices): Promise<Venue> {
    return s.exhibitions.venueOf(exhibition);
  }

  @FieldResolver(() => JSONObjectScalar, {
    nullable: true,
    description: "JSON Schema (draft 2020-12) that checkout's details must satisfy; null: details must be absent or {}.",
  })
  detailsSchema(@Root() exhibition: Exhibition): Record<string, unknown> | null {
    return exhibition.detailsSchema;
  }

  @FieldResolver(() => [TimeSlot], {
    description: 'The slots starting on this local date, earliest first; with quantity, only those with at least that many available.',
  })
  async timeSlots(
    @Root() exhibition: Exhibition,
    @Arg('date', () => LocalDateScalar) date: string,
    @Arg('quantity', () => Int, { nullable: true }) quantity: number | null,
    @Services() s: OperationServices,
  ): Promise<TimeSlot[]> {
    return (await s.exhibitions.timeSlots(exhibition, date, quantity)).map(TimeSlot.from);
  }

  @Authorized()
  @Mutation(() => Exhibition)
  createExhibition(
    @Arg('input') input: CreateExhibitionInput,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<Exhibition> {
    return s.exhibitions.createExhibition(caller, input);
  }

  @Authorized()
  @Mutation(() => Exhibition)
  updateExhibition(
    @Arg('input') input: UpdateExhibitionInput,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<Exhibition> {
    return s.exhibitions.updateExhibition(caller, input);
  }

  @Authorized()
  @Mutation(() => [TimeSlot], {
    description:
      'Creates the slots, or changes capacity and price of existing ones; a capacity below held + sold is refused with INVALID_STATE and nothing changes.',
  })
  async setTimeSlots(
    @Arg('input') input: SetTimeSlotsInput,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<TimeSlot[]> {
    return (await s.exhibitions.setTimeSlots(caller, input)).map(TimeSlot.from);
  }
}
