import { OptionalProps, PrimaryKeyProp, type Ref } from '@mikro-orm/core';
import { Check, Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Hotel } from '../catalog/hotel.entity.js';
import { RoomType } from '../catalog/room-type.entity.js';

/**
 * One room type on one night. `reserved` moves under optimistic locking (the version
 * column); the CHECKs are the last line of defence against overselling.
 */
@Entity({ tableName: 'room_type_inventory' })
@Index({ name: 'room_type_inventory_hotel_id_date_idx', properties: ['hotel', 'date'] })
@Check({ name: 'room_type_inventory_reserved_min', expression: 'reserved >= 0' })
@Check({ name: 'room_type_inventory_reserved_max', expression: 'reserved <= sell_limit' })
@Check({ name: 'room_type_inventory_total_min', expression: 'total >= 0' })
export class RoomTypeInventory {
  [PrimaryKeyProp]?: ['roomType', 'date'];
  [OptionalProps]?: 'reserved' | 'version';

  @ManyToOne(() => RoomType, { primary: true, ref: true, deleteRule: 'cascade' })
  roomType!: Ref<RoomType>;

  @PrimaryKey({ type: 'date' })
  date!: string;

  @ManyToOne(() => Hotel, { ref: true, deleteRule: 'cascade' })
  hotel!: Ref<Hotel>;

  @Property({ type: 'integer' })
  total!: number;

  @Property({ type: 'integer' })
  reserved: number = 0;

  @Property({ type: 'integer' })
  sellLimit!: number;

  @Property({ version: true })
  version!: number;
}
