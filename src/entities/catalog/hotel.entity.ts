import { Collection, OptionalProps } from '@mikro-orm/core';
import { Check, Entity, Index, OneToMany, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { newId } from '../id.js';
import { RoomType } from './room-type.entity.js';

@ObjectType()
@Entity({ tableName: 'hotel' })
@Check({ name: 'hotel_overbooking_percent_check', expression: 'overbooking_percent >= 0 and overbooking_percent <= 100' })
@Index({ name: 'hotel_city_id_idx', properties: ['city', 'id'] })
export class Hotel {
  [OptionalProps]?: 'overbookingPercent' | 'version' | 'createdAt' | 'address';

  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  @Field()
  @Property({ length: 200 })
  name!: string;

  @Field()
  @Property({ length: 200 })
  city!: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 500, nullable: true })
  address: string | null = null;

  @Field({ description: 'IANA zone, e.g. Asia/Seoul' })
  @Property({ length: 64 })
  timezone!: string;

  @Field({ description: 'ISO-4217' })
  @Property({ length: 3 })
  currency!: string;

  @Field(() => Int, {
    description: 'Rooms sold beyond physical inventory, in percent of it (10 = 110% may be sold).',
  })
  @Property({ type: 'smallint' })
  overbookingPercent: number = 10;

  @Field(() => Int)
  @Property({ version: true })
  version!: number;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @OneToMany(() => RoomType, (roomType) => roomType.hotel)
  roomTypes = new Collection<RoomType>(this);
}
