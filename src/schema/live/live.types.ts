import { Field, ID, ObjectType } from 'type-graphql';
import { InventoryDay } from '../stays/inventory.types.js';

@ObjectType()
export class InventoryChange {
  @Field(() => ID, { description: 'Unique per change, so a client can drop a duplicate.' })
  eventId!: string;

  @Field(() => ID)
  hotelId!: string;

  @Field(() => ID)
  roomTypeId!: string;

  @Field(() => [InventoryDay], { description: 'The nights whose numbers changed, with their new values.' })
  days!: InventoryDay[];

  @Field(() => Date)
  at!: Date;
}
