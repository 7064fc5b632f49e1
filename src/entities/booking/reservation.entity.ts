import { OptionalProps, type Ref } from '@mikro-orm/core';
import { Check, Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Hotel } from '../catalog/hotel.entity.js';
import { newId } from '../id.js';
import { RoomType } from '../catalog/room-type.entity.js';

export enum ReservationStatus {
  PENDING = 'PENDING',
  CONFIRMED = 'CONFIRMED',
  CANCELLED = 'CANCELLED',
  EXPIRED = 'EXPIRED',
  REJECTED = 'REJECTED',
  REFUNDED = 'REFUNDED',
}

/** The statuses that hold rooms: invariant 1 counts exactly these. */
export const HOLDING_STATUSES = [ReservationStatus.PENDING, ReservationStatus.CONFIRMED] as const;

/**
 * A booking of `rooms` rooms of one room type for the nights [checkIn, checkOut).
 * The price is fixed when the nights are held and never recomputed.
 */
@ObjectType()
@Entity({ tableName: 'reservation' })
@Index({ name: 'reservation_principal_id_idx', properties: ['principal', 'id'] })
@Index({ name: 'reservation_hotel_id_id_idx', properties: ['hotel', 'id'] })
@Index({ name: 'reservation_room_type_id_idx', properties: ['roomType'] })
@Index({ name: 'reservation_status_hold_idx', properties: ['status', 'holdExpiresAt'] })
@Check({ name: 'reservation_rooms_check', expression: 'rooms >= 1 and rooms <= 20' })
@Check({ name: 'reservation_stay_check', expression: 'check_out > check_in' })
export class Reservation {
  [OptionalProps]?: 'version' | 'createdAt' | 'updatedAt' | 'refundDue' | 'cancelReason' | 'holdExpiresAt';

  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: string = newId();

  /** Reservations keep their hotel and room type: those cannot be deleted under them. */
  @ManyToOne(() => Hotel, { ref: true, deleteRule: 'restrict' })
  hotel!: Ref<Hotel>;

  @ManyToOne(() => RoomType, { ref: true, deleteRule: 'restrict' })
  roomType!: Ref<RoomType>;

  /** The `sub` of the token that booked it. */
  @Property({ length: 255 })
  principal!: string;

  @Property({ length: 200 })
  guestName!: string;

  @Property({ length: 320 })
  guestEmail!: string;

  /** A LocalDate in GraphQL (the resolver declares the field). */
  @Property({ type: 'date' })
  checkIn!: string;

  @Property({ type: 'date' })
  checkOut!: string;

  @Field(() => Int)
  @Property({ type: 'smallint' })
  rooms!: number;

  @Field(() => ReservationStatus)
  @Enum({ items: () => ReservationStatus, nativeEnumName: undefined, length: 16 })
  status!: ReservationStatus;

  @Property({ type: 'bigint', runtimeType: 'number' })
  totalMinor!: number;

  @Property({ length: 3 })
  currency!: string;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'timestamptz', nullable: true })
  holdExpiresAt: Date | null = null;

  /** Set with the move to REFUNDED, cleared once the gateway has returned the money (the sweeper retries). */
  @Property({ type: 'boolean' })
  refundDue: boolean = false;

  @Property({ type: 'text', nullable: true })
  cancelReason: string | null = null;

  @Field(() => Int)
  @Property({ version: true })
  version!: number;

  @Field(() => Date)
  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
