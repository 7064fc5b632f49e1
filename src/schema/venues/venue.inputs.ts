import { Field, ID, InputType, Int } from 'type-graphql';
import { OfferingStatus } from '../../entities/venues/offering.js';
import type {
  CategoryPriceData,
  CreatePerformanceData,
  CreateSeatingChartData,
  CreateVenueData,
  UpdatePerformanceData,
  UpdateVenueData,
} from '../../services/venues/catalog/venue-catalog.service.js';
import type { SeatRowInputData, SectionInputData } from '../../services/venues/seating/layout.js';
import type { BlockSeatsData } from '../../services/venues/seat-map.service.js';
import { JSONObjectScalar } from './json-object.js';
import './offering.types.js';

// Each input implements the service's data type: the compiler keeps the two in step.

@InputType()
export class CreateVenueInput implements CreateVenueData {
  @Field()
  name!: string;

  @Field()
  city!: string;

  @Field(() => String, { nullable: true })
  address?: string | null;

  @Field()
  timezone!: string;

  @Field()
  currency!: string;
}

@InputType()
export class UpdateVenueInput implements UpdateVenueData {
  @Field(() => ID)
  id!: string;

  @Field(() => Int, { description: 'The version the client last read; a stale one gives VERSION_CONFLICT.' })
  version!: number;

  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  city?: string | null;

  @Field(() => String, { nullable: true })
  address?: string | null;
}

@InputType()
export class SeatRowInput implements SeatRowInputData {
  @Field()
  label!: string;

  @Field(() => Int, { description: 'Seats numbered firstNumber, firstNumber + 1, ... along the row.' })
  seats!: number;

  @Field(() => Int, { nullable: true, defaultValue: 1 })
  firstNumber?: number | null;

  @Field(() => [Int], { nullable: true, description: "Numbers of the row's wheelchair-accessible seats." })
  accessible?: number[] | null;
}

@InputType()
export class SectionInput implements SectionInputData {
  @Field()
  key!: string;

  @Field()
  name!: string;

  @Field()
  category!: string;

  @Field(() => [SeatRowInput])
  rows!: SeatRowInput[];
}

@InputType()
export class CreateSeatingChartInput implements CreateSeatingChartData {
  @Field(() => ID)
  venueId!: string;

  @Field()
  name!: string;

  @Field(() => [SectionInput], {
    description: 'At most 200,000 seats in all; section keys unique, row labels unique within a section.',
  })
  sections!: SectionInput[];
}

@InputType()
export class CategoryPriceInput implements CategoryPriceData {
  @Field()
  category!: string;

  @Field({ description: "Decimal string in the venue's currency." })
  amount!: string;
}

@InputType()
export class CreatePerformanceInput implements CreatePerformanceData {
  @Field(() => ID)
  venueId!: string;

  @Field(() => ID)
  seatingChartId!: string;

  @Field()
  title!: string;

  @Field(() => Date)
  startsAt!: Date;

  @Field(() => Date)
  endsAt!: Date;

  @Field(() => [CategoryPriceInput], { description: 'One per category used by the chart.' })
  prices!: CategoryPriceInput[];

  @Field(() => Int, { nullable: true, defaultValue: 10 })
  holdMinutes?: number | null;

  @Field(() => Int, { nullable: true, defaultValue: 10 })
  maxSeatsPerHold?: number | null;

  @Field(() => JSONObjectScalar, { nullable: true })
  detailsSchema?: Record<string, unknown> | null;
}

@InputType()
export class UpdatePerformanceInput implements UpdatePerformanceData {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => String, { nullable: true })
  title?: string | null;

  @Field(() => OfferingStatus, { nullable: true })
  status?: OfferingStatus | null;

  @Field(() => [CategoryPriceInput], { nullable: true, description: 'Holds and bookings keep the prices they were made at.' })
  prices?: CategoryPriceInput[] | null;

  @Field(() => Int, { nullable: true })
  holdMinutes?: number | null;

  @Field(() => Int, { nullable: true })
  maxSeatsPerHold?: number | null;

  @Field(() => JSONObjectScalar, { nullable: true, description: 'null: bookings take no details.' })
  detailsSchema?: Record<string, unknown> | null;
}

@InputType()
export class BlockSeatsInput implements BlockSeatsData {
  @Field(() => ID)
  performanceId!: string;

  @Field(() => [ID])
  seatIds!: string[];

  @Field({
    description:
      'true: take out of sale (only FREE seats; otherwise INVALID_STATE and nothing changes); false: back on sale.',
  })
  blocked!: boolean;
}
