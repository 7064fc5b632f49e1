import { OptionalProps, type Ref } from '@mikro-orm/core';
import { Check, Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { newId } from '../id.js';
import { OfferingStatus } from './offering.js';
import { Venue } from './venue.entity.js';

/** Opening hours of one ISO weekday (1 = Monday), local times HH:MM with opens < closes. */
export interface OpeningHoursData {
  weekday: number;
  opens: string;
  closes: string;
}

/**
 * A restaurant: tables (DiningTable) booked per seating. A seating starts on a multiple
 * of `slotMinutes` after opening and takes its table for `turnMinutes`. Tables are held
 * in the hold engine as 5-minute cells per table, one section per local date.
 */
@ObjectType()
@Entity({ tableName: 'restaurant' })
@Index({ name: 'restaurant_venue_id_idx', properties: ['venue', 'id'] })
@Check({ name: 'restaurant_hold_minutes_check', expression: 'hold_minutes >= 1 and hold_minutes <= 120' })
@Check({ name: 'restaurant_minutes_check', expression: 'slot_minutes >= 5 and turn_minutes >= 5' })
@Check({ name: 'restaurant_party_check', expression: 'max_party_size >= 1 and max_party_size <= 100' })
@Check({ name: 'restaurant_deposit_check', expression: 'deposit_per_cover_minor >= 0' })
export class Restaurant {
  [OptionalProps]?: 'version' | 'createdAt' | 'updatedAt' | 'status' | 'detailsSchema';

  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  @ManyToOne(() => Venue, { ref: true, deleteRule: 'cascade' })
  venue!: Ref<Venue>;

  @Field()
  @Property({ length: 200 })
  name!: string;

  @Field(() => OfferingStatus)
  @Enum({ items: () => OfferingStatus, nativeEnumName: undefined, length: 16 })
  status: OfferingStatus = OfferingStatus.ON_SALE;

  @Field(() => Int, { description: 'Seatings start on multiples of this many minutes after opening.' })
  @Property({ type: 'smallint' })
  slotMinutes!: number;

  @Field(() => Int, { description: 'How long a table is taken by one seating.' })
  @Property({ type: 'smallint' })
  turnMinutes!: number;

  @Property({ type: 'json' })
  openingHours!: OpeningHoursData[];

  @Field(() => Int)
  @Property({ type: 'smallint' })
  maxPartySize!: number;

  @Property({ type: 'bigint', runtimeType: 'number' })
  depositPerCoverMinor!: number;

  @Field(() => Int, { description: 'How long a new hold lasts.' })
  @Property({ type: 'smallint' })
  holdMinutes!: number;

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
