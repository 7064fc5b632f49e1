import { Collection, OptionalProps, type Ref } from '@mikro-orm/core';
import { Entity, Enum, Index, ManyToOne, OneToMany, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { ReservationStatus } from '../booking/reservation.entity.js';
import { newId } from '../id.js';
import { BookingItem } from './booking-item.entity.js';
import { OfferingKind } from './offering.js';
import { Venue } from './venue.entity.js';

/**
 * A venue booking: what a checkout made of a hold. It goes through the same statuses
 * and the same payment saga as a hotel reservation: PENDING while the gateway runs
 * (until holdExpiresAt, when the sweeper settles it), then CONFIRMED or REJECTED;
 * later CANCELLED/REFUNDED, or EXPIRED when the sweeper found no charge.
 */
@ObjectType()
@Entity({ tableName: 'booking' })
@Index({ name: 'booking_principal_id_idx', properties: ['principal', 'id'] })
@Index({ name: 'booking_venue_id_id_idx', properties: ['venue', 'id'] })
@Index({ name: 'booking_status_hold_idx', properties: ['status', 'holdExpiresAt'] })
@Index({ name: 'booking_offering_id_idx', properties: ['offeringId'] })
@Index({ name: 'booking_seats_unsynced_idx', expression: 'create index "booking_seats_unsynced_idx" on "booking" ("id") where not seats_synced' })
export class Booking {
  [OptionalProps]?: 'version' | 'createdAt' | 'updatedAt' | 'refundDue' | 'cancelReason' | 'details' | 'holdExpiresAt' | 'seatsSynced';

  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  @Field(() => OfferingKind)
  @Enum({ items: () => OfferingKind, nativeEnumName: undefined, length: 16 })
  kind!: OfferingKind;

  @Field(() => ID)
  @Property({ type: 'uuid' })
  offeringId!: string;

  @ManyToOne(() => Venue, { ref: true, deleteRule: 'restrict' })
  venue!: Ref<Venue>;

  @Field({ description: "The performance's or exhibition's title, or the restaurant's name." })
  @Property({ length: 200 })
  title!: string;

  /** The `sub` of the token that checked out. */
  @Property({ length: 255 })
  principal!: string;

  @Property({ length: 200 })
  guestName!: string;

  @Property({ length: 320 })
  guestEmail!: string;

  @Property({ type: 'json', nullable: true })
  details: Record<string, unknown> | null = null;

  @Field(() => ReservationStatus)
  @Enum({ items: () => ReservationStatus, nativeEnumName: undefined, length: 16 })
  status!: ReservationStatus;

  @Property({ type: 'bigint', runtimeType: 'number' })
  totalMinor!: number;

  @Property({ length: 3 })
  currency!: string;

  /** While PENDING: when the sweeper may settle it by asking the gateway. */
  @Property({ type: 'timestamptz', nullable: true })
  holdExpiresAt: Date | null = null;

  @Property({ type: 'boolean' })
  refundDue: boolean = false;

  @Property({ type: 'text', nullable: true })
  cancelReason: string | null = null;

  /**
   * False from a status change until the hold engine's seats follow it (SOLD, or FREE).
   * The sweeper finishes what a failed or interrupted follow-up left (Redis down, a crash).
   */
  @Property({ type: 'boolean' })
  seatsSynced: boolean = true;

  @Field(() => Int)
  @Property({ version: true })
  version!: number;

  @Field(() => Date)
  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();

  @OneToMany(() => BookingItem, (item) => item.booking, { orderBy: { position: 'asc' } })
  items = new Collection<BookingItem>(this);
}
