import { OptionalProps, type Ref } from '@mikro-orm/core';
import { Check, Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { newId } from '../id.js';
import { Exhibition } from './exhibition.entity.js';

/**
 * One entry time of an exhibition. `localDate` is the date where the venue is (what
 * guests list slots by); the times are instants. Capacity and price are the record: the
 * hold engine keeps the capacity too (it checks held + sold against it atomically) and is
 * rebuilt from here.
 */
@Entity({ tableName: 'time_slot' })
@Unique({ name: 'time_slot_exhibition_id_starts_at_uq', properties: ['exhibition', 'startsAt'] })
@Index({ name: 'time_slot_exhibition_id_local_date_idx', properties: ['exhibition', 'localDate', 'startsAt'] })
@Check({ name: 'time_slot_times_check', expression: 'ends_at > starts_at' })
@Check({ name: 'time_slot_capacity_check', expression: 'capacity >= 0' })
@Check({ name: 'time_slot_price_check', expression: 'price_minor >= 0' })
export class TimeSlot {
  [OptionalProps]?: 'version';

  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  @ManyToOne(() => Exhibition, { ref: true, deleteRule: 'cascade' })
  exhibition!: Ref<Exhibition>;

  @Property({ type: 'date' })
  localDate!: string;

  @Property({ type: 'timestamptz' })
  startsAt!: Date;

  @Property({ type: 'timestamptz' })
  endsAt!: Date;

  @Property({ type: 'integer' })
  capacity!: number;

  @Property({ type: 'bigint', runtimeType: 'number' })
  priceMinor!: number;

  @Property({ version: true })
  version!: number;
}
