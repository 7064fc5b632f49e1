import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Performance } from '../../entities/venues/performance.entity.js';
import { Venue } from '../../entities/venues/venue.entity.js';
import type { SeatStatusName } from '../../services/venues/holds/hold-engine.js';
import type { CategoryPriceView } from '../../services/venues/catalog/venue-catalog.service.js';
import type { SectionAvailabilityView } from '../../services/venues/seat-map.service.js';
import { connectionType } from '../common/connection.js';
import { money, Money } from '../common/money.js';
import { SeatStatus } from './offering.types.js';

export const VenueConnection = connectionType(Venue, 'Venue');
export type VenueConnection = InstanceType<typeof VenueConnection>;

export const PerformanceConnection = connectionType(Performance, 'Performance');
export type PerformanceConnection = InstanceType<typeof PerformanceConnection>;

// Seats come by the hundred thousand: their types read plain properties with graphql's
// default resolver (simpleResolvers), without type-graphql's per-field wrapper.

@ObjectType({ simpleResolvers: true })
export class Seat {
  @Field(() => ID, { description: 'Stable within the chart: <sectionKey>-<rowLabel>-<number>, e.g. ORCH-C-12.' })
  id!: string;

  @Field()
  sectionKey!: string;

  @Field()
  row!: string;

  @Field(() => Int)
  number!: number;

  @Field()
  category!: string;

  @Field()
  accessible!: boolean;
}

@ObjectType({ simpleResolvers: true })
export class SeatRow {
  @Field()
  label!: string;

  @Field(() => [Seat], { description: 'In order along the row: neighbours in this list sit next to each other.' })
  seats!: Seat[];
}

@ObjectType({ simpleResolvers: true })
export class Section {
  @Field({ description: 'Unique within the chart, e.g. ORCH, BAL-L.' })
  key!: string;

  @Field()
  name!: string;

  @Field({ description: 'Price category of every seat in the section, e.g. VIP, A, B.' })
  category!: string;

  @Field(() => Int)
  seatCount!: number;

  @Field(() => [SeatRow])
  rows!: SeatRow[];
}

@ObjectType({ simpleResolvers: true })
export class SeatState {
  @Field(() => ID)
  seatId!: string;

  @Field(() => SeatStatus)
  status!: SeatStatusName;
}

@ObjectType()
export class CategoryPrice {
  @Field()
  category!: string;

  @Field(() => Money)
  price!: Money;

  static from(view: CategoryPriceView): CategoryPrice {
    return { category: view.category, price: money(view.priceMinor, view.currency) };
  }
}

@ObjectType()
export class SectionAvailability {
  @Field()
  key!: string;

  @Field()
  name!: string;

  @Field()
  category!: string;

  @Field(() => Int)
  capacity!: number;

  @Field(() => Int)
  held!: number;

  @Field(() => Int)
  sold!: number;

  @Field(() => Int)
  blocked!: number;

  @Field(() => Int, { description: "capacity - held - sold - blocked; always equal to the count of this section's FREE seats." })
  available!: number;

  @Field(() => Money)
  price!: Money;

  static from({ priceMinor, currency, ...counts }: SectionAvailabilityView): SectionAvailability {
    return { ...counts, price: money(priceMinor, currency) };
  }
}
