import { OptionalProps } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { newId } from '../id.js';

/** A place with offerings: seated performances (later also exhibitions and restaurants). */
@ObjectType()
@Entity({ tableName: 'venue' })
@Index({ name: 'venue_city_id_idx', properties: ['city', 'id'] })
export class Venue {
  [OptionalProps]?: 'version' | 'createdAt' | 'address';

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

  @Field({ description: 'IANA zone; slot times and opening hours are local to it.' })
  @Property({ length: 64 })
  timezone!: string;

  @Field({ description: 'ISO-4217' })
  @Property({ length: 3 })
  currency!: string;

  @Field(() => Int)
  @Property({ version: true })
  version!: number;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
