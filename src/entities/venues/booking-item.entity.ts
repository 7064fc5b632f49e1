import { OptionalProps, PrimaryKeyProp, type Ref } from '@mikro-orm/core';
import { Entity, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Booking } from './booking.entity.js';

/**
 * One booked unit (a seat) at the price it was held at. `live` is true while the
 * booking is PENDING or CONFIRMED: the unique index over live seats of an offering is
 * the last line of defence against selling a seat twice (invariant 6), whatever the
 * hold engine says.
 */
@Entity({ tableName: 'booking_item' })
@Unique({
  name: 'booking_item_live_seat_uq',
  expression:
    'create unique index "booking_item_live_seat_uq" on "booking_item" ("offering_id", "seat_id") where live and seat_id is not null',
})
export class BookingItem {
  [PrimaryKeyProp]?: ['booking', 'position'];
  [OptionalProps]?: 'live' | 'seatId';

  @ManyToOne(() => Booking, { ref: true, primary: true, deleteRule: 'cascade' })
  booking!: Ref<Booking>;

  @PrimaryKey({ type: 'smallint' })
  position!: number;

  @Property({ type: 'uuid' })
  offeringId!: string;

  @Property({ type: 'string', length: 64, nullable: true })
  seatId: string | null = null;

  @Property({ type: 'timestamptz' })
  startsAt!: Date;

  @Property({ type: 'timestamptz' })
  endsAt!: Date;

  @Property({ type: 'integer' })
  quantity!: number;

  @Property({ type: 'bigint', runtimeType: 'number' })
  priceMinor!: number;

  @Property({ type: 'boolean' })
  live: boolean = true;
}
