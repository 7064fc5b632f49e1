import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Booking } from '../../entities/venues/booking.entity.js';
import type { CancelBookingData, UpdateDetailsData } from '../../services/venues/bookings/booking.service.js';
import { connectionType } from '../common/connection.js';
import { Money } from '../common/money.js';
import { JSONObjectScalar } from './json-object.js';

export const BookingConnection = connectionType(Booking, 'Booking');
export type BookingConnection = InstanceType<typeof BookingConnection>;

@ObjectType()
export class BookingItem {
  @Field(() => ID, { nullable: true })
  seatId!: string | null;

  @Field(() => ID, { nullable: true })
  timeSlotId!: string | null;

  @Field(() => ID, { nullable: true })
  tableId!: string | null;

  @Field(() => Date)
  startsAt!: Date;

  @Field(() => Date)
  endsAt!: Date;

  @Field(() => Int)
  quantity!: number;

  @Field(() => Money)
  price!: Money;
}

@InputType()
export class UpdateBookingDetailsInput implements UpdateDetailsData {
  @Field(() => ID)
  id!: string;

  @Field(() => Int, { description: 'The version the client read; stale: VERSION_CONFLICT.' })
  version!: number;

  @Field(() => JSONObjectScalar, { description: "Replaces the details; validated against the offering's detailsSchema as at checkout." })
  details!: Record<string, unknown>;
}

@InputType()
export class CancelBookingInput implements CancelBookingData {
  @Field(() => ID)
  id!: string;

  @Field()
  idempotencyKey!: string;

  @Field(() => String, { nullable: true })
  reason?: string | null;
}
