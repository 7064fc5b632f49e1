import { PrimaryKeyProp, type Ref } from '@mikro-orm/core';
import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Field, Int, ObjectType } from 'type-graphql';
import { Hotel } from '../catalog/hotel.entity.js';
import { RoomType } from '../catalog/room-type.entity.js';

@ObjectType({
  description:
    "Dynamic pricing: when a night's occupancy reaches minOccupancyPercent, its rate becomes baseRate * (100 + adjustmentPercent) / 100, rounded half-up to the currency's minor unit.",
})
@Entity({ tableName: 'pricing_rule' })
export class PricingRule {
  [PrimaryKeyProp]?: ['roomType', 'minOccupancyPercent'];

  @ManyToOne(() => RoomType, { primary: true, ref: true, deleteRule: 'cascade' })
  roomType!: Ref<RoomType>;

  @Field(() => Int)
  @PrimaryKey({ type: 'smallint' })
  minOccupancyPercent!: number;

  @ManyToOne(() => Hotel, { ref: true, deleteRule: 'cascade' })
  hotel!: Ref<Hotel>;

  @Field(() => Int)
  @Property({ type: 'smallint' })
  adjustmentPercent!: number;
}
