import { Collection, OptionalProps, type Ref } from '@mikro-orm/core';
import { Check, Entity, Index, ManyToOne, OneToMany, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Hotel } from './hotel.entity.js';
import { newId } from '../id.js';
import { Room } from './room.entity.js';

@ObjectType()
@Entity({ tableName: 'room_type' })
@Index({ name: 'room_type_hotel_id_idx', properties: ['hotel'] })
@Check({ name: 'room_type_max_occupancy_check', expression: 'max_occupancy >= 1 and max_occupancy <= 20' })
export class RoomType {
  [OptionalProps]?: 'version' | 'description';

  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  /** The shard key: deleting the hotel takes its catalog with it. */
  @ManyToOne(() => Hotel, { ref: true, deleteRule: 'cascade' })
  hotel!: Ref<Hotel>;

  @Field()
  @Property({ length: 200 })
  name!: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  description: string | null = null;

  @Field(() => Int)
  @Property({ type: 'smallint' })
  maxOccupancy!: number;

  @Field(() => Int)
  @Property({ version: true })
  version!: number;

  @OneToMany(() => Room, (room) => room.roomType)
  rooms = new Collection<Room>(this);
}
