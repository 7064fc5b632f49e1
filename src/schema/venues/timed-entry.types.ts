import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { OfferingStatus } from '../../entities/venues/offering.js';
import type { HoldTimedEntryData } from '../../services/venues/holds/hold.service.js';
import type {
  CreateExhibitionData,
  SetTimeSlotsData,
  TimeSlotView,
  UpdateExhibitionData,
} from '../../services/venues/timed-entry/exhibition.service.js';
import { Money, money } from '../common/money.js';
import { LocalDateScalar } from '../common/scalars.js';
import { JSONObjectScalar } from './json-object.js';
import './offering.types.js';

@ObjectType()
export class TimeSlot {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  exhibitionId!: string;

  @Field(() => Date)
  startsAt!: Date;

  @Field(() => Date)
  endsAt!: Date;

  @Field(() => Int)
  capacity!: number;

  @Field(() => Int)
  held!: number;

  @Field(() => Int)
  sold!: number;

  @Field(() => Int, { description: 'capacity - held - sold, never negative.' })
  available!: number;

  @Field(() => Money, { description: 'Per ticket.' })
  price!: Money;

  static from(slot: TimeSlotView): TimeSlot {
    const { priceMinor, currency, ...rest } = slot;
    return { ...rest, price: money(priceMinor, currency) };
  }
}

@ObjectType()
export class TimeSlotsChange {
  @Field(() => ID)
  eventId!: string;

  @Field(() => ID)
  exhibitionId!: string;

  @Field(() => [TimeSlot])
  slots!: TimeSlot[];

  @Field(() => Date)
  at!: Date;
}

@InputType()
export class CreateExhibitionInput implements CreateExhibitionData {
  @Field(() => ID)
  venueId!: string;

  @Field()
  title!: string;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => Int, { nullable: true, defaultValue: 10 })
  holdMinutes?: number | null;

  @Field(() => Int, { nullable: true, defaultValue: 10 })
  maxTicketsPerHold?: number | null;

  @Field(() => JSONObjectScalar, { nullable: true })
  detailsSchema?: Record<string, unknown> | null;
}

@InputType()
export class UpdateExhibitionInput implements UpdateExhibitionData {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => String, { nullable: true })
  title?: string | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => OfferingStatus, { nullable: true })
  status?: OfferingStatus | null;

  @Field(() => Int, { nullable: true })
  holdMinutes?: number | null;

  @Field(() => Int, { nullable: true })
  maxTicketsPerHold?: number | null;

  @Field(() => JSONObjectScalar, { nullable: true })
  detailsSchema?: Record<string, unknown> | null;
}

@InputType()
export class SetTimeSlotsInput implements SetTimeSlotsData {
  @Field(() => ID)
  exhibitionId!: string;

  @Field(() => LocalDateScalar, { description: 'Local dates, to exclusive; at most 366 days.' })
  from!: string;

  @Field(() => LocalDateScalar)
  to!: string;

  @Field({ description: 'Local HH:MM; slots start at opens, opens + intervalMinutes, ... while start + intervalMinutes <= closes.' })
  opens!: string;

  @Field()
  closes!: string;

  @Field(() => Int)
  intervalMinutes!: number;

  @Field(() => Int)
  capacity!: number;

  @Field({ description: "Per ticket, decimal string in the venue's currency." })
  price!: string;
}

@InputType()
export class HoldTimedEntryInput implements HoldTimedEntryData {
  @Field(() => ID)
  timeSlotId!: string;

  @Field(() => Int)
  quantity!: number;

  @Field(() => ID, { nullable: true })
  holdToken?: string | null;
}
