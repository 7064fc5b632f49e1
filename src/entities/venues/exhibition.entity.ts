import { OptionalProps, type Ref } from '@mikro-orm/core';
import { Check, Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { newId } from '../id.js';
import { OfferingStatus } from './offering.js';
import { Venue } from './venue.entity.js';

/**
 * A timed-entry exhibition: tickets are sold per time slot (TimeSlot), each with a
 * capacity. Tickets are held in the hold engine (one counted section per slot) and sold
 * as booking items.
 */
@ObjectType()
@Entity({ tableName: 'exhibition' })
@Index({ name: 'exhibition_venue_id_idx', properties: ['venue', 'id'] })
@Check({ name: 'exhibition_hold_minutes_check', expression: 'hold_minutes >= 1 and hold_minutes <= 120' })
@Check({ name: 'exhibition_max_tickets_check', expression: 'max_tickets_per_hold >= 1 and max_tickets_per_hold <= 100' })
export class Exhibition {
  [OptionalProps]?: 'version' | 'createdAt' | 'updatedAt' | 'status' | 'detailsSchema' | 'description';

  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  @ManyToOne(() => Venue, { ref: true, deleteRule: 'cascade' })
  venue!: Ref<Venue>;

  @Field()
  @Property({ length: 200 })
  title!: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  description: string | null = null;

  @Field(() => OfferingStatus)
  @Enum({ items: () => OfferingStatus, nativeEnumName: undefined, length: 16 })
  status: OfferingStatus = OfferingStatus.ON_SALE;

  @Field(() => Int, { description: 'How long a new hold lasts.' })
  @Property({ type: 'smallint' })
  holdMinutes!: number;

  @Field(() => Int, { description: 'The most tickets one hold may contain.' })
  @Property({ type: 'smallint' })
  maxTicketsPerHold!: number;

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
