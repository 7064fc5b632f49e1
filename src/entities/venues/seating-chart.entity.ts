import { OptionalProps, type Ref } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { ChartLayout } from './chart-layout.js';
import { newId } from '../id.js';
import { Venue } from './venue.entity.js';

/**
 * A venue's seating chart. The layout (sections of rows, a row being a label, a first
 * number and a seat count) is compact JSON: 200,000 seats are a few thousand rows, and
 * a chart never changes once performances are sold on it, so there is no table of seats.
 */
@ObjectType()
@Entity({ tableName: 'seating_chart' })
@Index({ name: 'seating_chart_venue_id_idx', properties: ['venue'] })
export class SeatingChart {
  [OptionalProps]?: 'version' | 'createdAt';

  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  @ManyToOne(() => Venue, { ref: true, deleteRule: 'cascade' })
  venue!: Ref<Venue>;

  @Field()
  @Property({ length: 200 })
  name!: string;

  @Property({ type: 'json' })
  layout!: ChartLayout;

  @Field(() => Int)
  @Property({ type: 'integer' })
  seatCount!: number;

  @Field(() => Int)
  @Property({ version: true })
  version!: number;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
