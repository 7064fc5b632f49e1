import { OptionalProps, PrimaryKeyProp, type Ref } from '@mikro-orm/core';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Booking } from './booking.entity.js';

/** A hold-engine cell a booking item stands for that is not a seat: a ticket of a time slot, a table's 5-minute bucket. */
export interface BookedUnit {
  id: string;
  section: string;
}

/**
 * One booked item at the price it was held at: a seat (`seatId`), N tickets of a time
 * slot (`timeSlotId`), or a table for one seating (`tableId`, with the party size as
 * quantity). `units` names the hold-engine cells a ticket or table item stands for (a
 * seat is its own). `live` is true while the booking is PENDING or CONFIRMED: the unique
 * index over live seats of an offering is the last line of defence against selling a
 * seat twice (invariant 6), whatever the hold engine says; for slots and tables the
 * audit checks capacity and overlaps.
 */
@Entity({ tableName: 'booking_item' })
@Unique({
  name: 'booking_item_live_seat_uq',
  expression:
    'create unique index "booking_item_live_seat_uq" on "booking_item" ("offering_id", "seat_id") where live and seat_id is not null',
})
@Index({
  name: 'booking_item_time_slot_id_idx',
  expression: 'create index "booking_item_time_slot_id_idx" on "booking_item" ("time_slot_id") where time_slot_id is not null',
})
@Index({
  name: 'booking_item_table_id_idx',
  expression: 'create index "booking_item_table_id_idx" on "booking_item" ("table_id", "starts_at") where table_id is not null',
})
export class BookingItem {
  [PrimaryKeyProp]?: ['booking', 'position'];
  [OptionalProps]?: 'live' | 'seatId' | 'timeSlotId' | 'tableId' | 'units';

  @ManyToOne(() => Booking, { ref: true, primary: true, deleteRule: 'cascade' })
  booking!: Ref<Booking>;

  @PrimaryKey({ type: 'smallint' })
  position!: number;

  @Property({ type: 'uuid' })
  offeringId!: string;

  @Property({ type: 'string', length: 64, nullable: true })
  seatId: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  timeSlotId: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  tableId: string | null = null;

  @Property({ type: 'json', nullable: true })
  units: BookedUnit[] | null = null;

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
