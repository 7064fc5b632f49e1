import { PrimaryKeyProp, type Ref } from '@mikro-orm/core';
import { Check, Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Hotel } from '../catalog/hotel.entity.js';
import { RoomType } from '../catalog/room-type.entity.js';

/** The base rate staff set for one room type on one night, in minor units of the hotel's currency. */
@Entity({ tableName: 'room_type_rate' })
@Check({ name: 'room_type_rate_amount_min', expression: 'amount_minor >= 0' })
export class RoomTypeRate {
  [PrimaryKeyProp]?: ['roomType', 'date'];

  @ManyToOne(() => RoomType, { primary: true, ref: true, deleteRule: 'cascade' })
  roomType!: Ref<RoomType>;

  @PrimaryKey({ type: 'date' })
  date!: string;

  @ManyToOne(() => Hotel, { ref: true, deleteRule: 'cascade' })
  hotel!: Ref<Hotel>;

  @Property({ type: 'bigint', runtimeType: 'number' })
  amountMinor!: number;
}
