import { OptionalProps, type Ref } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Hotel } from './hotel.entity.js';
import { newId } from '../id.js';
import { RoomType } from './room-type.entity.js';

/** A physical room, for staff. Guests reserve a room type; rooms are assigned at check-in. */
@ObjectType()
@Entity({ tableName: 'room' })
@Index({ name: 'room_room_type_id_idx', properties: ['roomType'] })
@Unique({ name: 'room_hotel_id_number_unique', properties: ['hotel', 'number'] })
export class Room {
  [OptionalProps]?: 'version' | 'floor' | 'outOfService';

  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  /** Denormalised from the room type: the shard key, and the scope of room-number uniqueness. */
  @ManyToOne(() => Hotel, { ref: true, deleteRule: 'cascade' })
  hotel!: Ref<Hotel>;

  @ManyToOne(() => RoomType, { ref: true, deleteRule: 'cascade' })
  roomType!: Ref<RoomType>;

  @Field()
  @Property({ length: 50 })
  number!: string;

  @Field(() => Int, { nullable: true })
  @Property({ type: 'smallint', nullable: true })
  floor: number | null = null;

  @Field()
  @Property()
  outOfService: boolean = false;

  @Field(() => Int)
  @Property({ version: true })
  version!: number;
}
