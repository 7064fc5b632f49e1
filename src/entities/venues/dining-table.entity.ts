import { OptionalProps, type Ref } from '@mikro-orm/core';
import { Check, Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { newId } from '../id.js';
import { Restaurant } from './restaurant.entity.js';

/** A table of a restaurant, for parties of minCovers to maxCovers. */
@ObjectType()
@Entity({ tableName: 'dining_table' })
@Index({ name: 'dining_table_restaurant_id_idx', properties: ['restaurant', 'id'] })
@Check({ name: 'dining_table_covers_check', expression: 'min_covers >= 1 and max_covers >= min_covers' })
export class DiningTable {
  [OptionalProps]?: 'version';

  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  @ManyToOne(() => Restaurant, { ref: true, deleteRule: 'cascade' })
  restaurant!: Ref<Restaurant>;

  @Field()
  @Property({ length: 50 })
  label!: string;

  @Field(() => Int)
  @Property({ type: 'smallint' })
  minCovers!: number;

  @Field(() => Int)
  @Property({ type: 'smallint' })
  maxCovers!: number;

  @Field(() => Int)
  @Property({ version: true })
  version!: number;
}
