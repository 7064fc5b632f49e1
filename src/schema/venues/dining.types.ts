import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { OfferingStatus } from '../../entities/venues/offering.js';
import type { OpeningHoursData } from '../../entities/venues/restaurant.entity.js';
import type {
  CreateDiningTableData,
  CreateRestaurantData,
  UpdateDiningTableData,
  UpdateRestaurantData,
} from '../../services/venues/dining/restaurant.service.js';
import type { HoldTableData } from '../../services/venues/holds/hold.service.js';
import { LocalDateScalar } from '../common/scalars.js';
import { JSONObjectScalar } from './json-object.js';
import './offering.types.js';

@ObjectType()
export class OpeningHours implements OpeningHoursData {
  @Field(() => Int, { description: 'ISO weekday, 1 = Monday ... 7 = Sunday.' })
  weekday!: number;

  @Field({ description: 'Local time HH:MM; the last seating starts at closes - turnMinutes.' })
  opens!: string;

  @Field()
  closes!: string;
}

@ObjectType()
export class DiningSlot {
  @Field(() => Date)
  startsAt!: Date;

  @Field(() => Int, { description: 'How many suitable tables are free for the whole turn.' })
  tablesAvailable!: number;
}

@ObjectType()
export class Interval {
  @Field(() => Date)
  startsAt!: Date;

  @Field(() => Date)
  endsAt!: Date;
}

@ObjectType()
export class TableBusy {
  @Field(() => ID)
  tableId!: string;

  @Field(() => [Interval], { description: 'Seatings that hold or book the table on the date: [startsAt, endsAt).' })
  intervals!: Interval[];
}

@ObjectType()
export class DiningChange {
  @Field(() => ID)
  eventId!: string;

  @Field(() => ID)
  restaurantId!: string;

  @Field(() => LocalDateScalar)
  date!: string;

  @Field(() => [TableBusy], { description: 'The tables whose seatings changed on the date, with all their seatings that day.' })
  tables!: TableBusy[];

  @Field(() => Date)
  at!: Date;
}

@InputType()
export class OpeningHoursInput implements OpeningHoursData {
  @Field(() => Int)
  weekday!: number;

  @Field()
  opens!: string;

  @Field()
  closes!: string;
}

@InputType()
export class CreateRestaurantInput implements CreateRestaurantData {
  @Field(() => ID)
  venueId!: string;

  @Field()
  name!: string;

  @Field(() => Int, { nullable: true, defaultValue: 15 })
  slotMinutes?: number | null;

  @Field(() => Int, { nullable: true, defaultValue: 90 })
  turnMinutes?: number | null;

  @Field(() => [OpeningHoursInput])
  openingHours!: OpeningHoursInput[];

  @Field(() => Int, { nullable: true, defaultValue: 8 })
  maxPartySize?: number | null;

  @Field(() => String, { nullable: true, defaultValue: '0' })
  depositPerCover?: string | null;

  @Field(() => Int, { nullable: true, defaultValue: 10 })
  holdMinutes?: number | null;

  @Field(() => JSONObjectScalar, { nullable: true })
  detailsSchema?: Record<string, unknown> | null;
}

@InputType()
export class UpdateRestaurantInput implements UpdateRestaurantData {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => OfferingStatus, { nullable: true })
  status?: OfferingStatus | null;

  @Field(() => Int, { nullable: true })
  slotMinutes?: number | null;

  @Field(() => Int, { nullable: true })
  turnMinutes?: number | null;

  @Field(() => [OpeningHoursInput], { nullable: true })
  openingHours?: OpeningHoursInput[] | null;

  @Field(() => Int, { nullable: true })
  maxPartySize?: number | null;

  @Field(() => String, { nullable: true })
  depositPerCover?: string | null;

  @Field(() => Int, { nullable: true })
  holdMinutes?: number | null;

  @Field(() => JSONObjectScalar, { nullable: true })
  detailsSchema?: Record<string, unknown> | null;
}

@InputType()
export class CreateDiningTableInput implements CreateDiningTableData {
  @Field(() => ID)
  restaurantId!: string;

  @Field()
  label!: string;

  @Field(() => Int)
  minCovers!: number;

  @Field(() => Int)
  maxCovers!: number;
}

@InputType()
export class UpdateDiningTableInput implements UpdateDiningTableData {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => String, { nullable: true })
  label?: string | null;

  @Field(() => Int, { nullable: true })
  minCovers?: number | null;

  @Field(() => Int, { nullable: true })
  maxCovers?: number | null;
}

@InputType()
export class HoldTableInput implements HoldTableData {
  @Field(() => ID)
  restaurantId!: string;

  @Field(() => Date, { description: 'A seating start listed by availability.' })
  startsAt!: Date;

  @Field(() => Int)
  partySize!: number;

  @Field(() => ID, { nullable: true })
  holdToken?: string | null;
}
