import { OptionalProps, type Ref } from '@mikro-orm/core';
import { Check, Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { newId } from '../id.js';
import { OfferingStatus } from './offering.js';
import { SeatingChart } from './seating-chart.entity.js';
import { Venue } from './venue.entity.js';

/** Price in minor units per category of the chart, e.g. { "VIP": 12000, "A": 8000 }. */
export type CategoryPrices = Record<string, number>;

/** One show on a seating chart. Seats are held in the hold engine and sold as booking items. */
@ObjectType()
@Entity({ tableName: 'performance' })
@Index({ name: 'performance_venue_id_starts_at_idx', properties: ['venue', 'startsAt', 'id'] })
@Check({ name: 'performance_times_check', expression: 'ends_at > starts_at' })
@Check({ name: 'performance_hold_minutes_check', expression: 'hold_minutes >= 1 and hold_minutes <= 120' })
@Check({ name: 'performance_max_seats_check', expression: 'max_seats_per_hold >= 1 and max_seats_per_hold <= 100' })
export class Performance {
  [OptionalProps]?: 'version' | 'createdAt' | 'updatedAt' | 'status' | 'detailsSchema';

  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  @ManyToOne(() => Venue, { ref: true, deleteRule: 'cascade' })
  venue!: Ref<Venue>;

  @ManyToOne(() => SeatingChart, { ref: true, deleteRule: 'restrict' })
  seatingChart!: Ref<SeatingChart>;

  @Field()
  @Property({ length: 200 })
  title!: string;

  @Field(() => Date)
  @Property({ type: 'timestamptz' })
  startsAt!: Date;

  @Field(() => Date)
  @Property({ type: 'timestamptz' })
  endsAt!: Date;

  @Field(() => OfferingStatus)
  @Enum({ items: () => OfferingStatus, nativeEnumName: undefined, length: 16 })
  status: OfferingStatus = OfferingStatus.ON_SALE;

  @Property({ type: 'json' })
  prices!: CategoryPrices;

  @Field(() => Int, { description: 'How long a new hold lasts.' })
  @Property({ type: 'smallint' })
  holdMinutes!: number;

  @Field(() => Int, { description: 'The most seats one hold may contain.' })
  @Property({ type: 'smallint' })
  maxSeatsPerHold!: number;

  @Property({ type: 'json', nullable: true })
  detailsSchema: Record<string, unknown> | null = null;

  @Field(() => Int)
  @Property({ version: true })
  version!: number;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
