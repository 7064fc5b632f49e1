import { Field, ID, ObjectType } from 'type-graphql';
import { SeatState, SectionAvailability } from './venue.types.js';

@ObjectType()
export class SeatsChange {
  @Field(() => ID)
  eventId!: string;

  @Field(() => ID)
  performanceId!: string;

  @Field(() => [SeatState], { description: 'The seats whose status changed, with their new status.' })
  seats!: SeatState[];

  @Field(() => [SectionAvailability], { description: 'The sections those seats are in, with their new counts.' })
  sections!: SectionAvailability[];

  @Field(() => Date)
  at!: Date;
}
