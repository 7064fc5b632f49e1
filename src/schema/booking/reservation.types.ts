import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Reservation, ReservationStatus } from '../../entities/booking/reservation.entity.js';
import type { CancelData } from '../../services/booking/reservation.service.js';
import type { ReserveData } from '../../services/booking/reserve.saga.js';
import { connectionType } from '../common/connection.js';
import { LocalDateScalar } from '../common/scalars.js';

registerEnumType(ReservationStatus, {
  name: 'ReservationStatus',
  valuesConfig: {
    PENDING: { description: 'Inventory is held while payment runs; expires at holdExpiresAt.' },
    EXPIRED: { description: 'A hold that was never paid and was released.' },
    REJECTED: { description: 'Payment was declined; inventory was released.' },
    REFUNDED: { description: 'Cancelled after payment and the money was returned.' },
  },
});

export const ReservationConnection = connectionType(Reservation, 'Reservation');
export type ReservationConnection = InstanceType<typeof ReservationConnection>;

@ObjectType()
export class Guest {
  @Field()
  name!: string;

  @Field()
  email!: string;
}

@InputType()
export class GuestInput {
  @Field()
  name!: string;

  @Field()
  email!: string;
}

@InputType()
export class ReserveInput implements ReserveData {
  @Field({
    description:
      'Client-chosen, 8 to 255 characters. The same key with the same input returns the same reservation; with other input, IDEMPOTENCY_KEY_REUSED.',
  })
  idempotencyKey!: string;

  @Field(() => ID)
  roomTypeId!: string;

  @Field(() => LocalDateScalar)
  checkIn!: string;

  @Field(() => LocalDateScalar)
  checkOut!: string;

  @Field(() => Int, { defaultValue: 1 })
  rooms!: number;

  @Field(() => GuestInput)
  guest!: GuestInput;

  @Field({
    description:
      'A payment method token for the payment gateway (the built-in test gateway takes tok_ok, tok_declined, tok_timeout).',
  })
  paymentToken!: string;
}

@InputType()
export class CancelReservationInput implements CancelData {
  @Field(() => ID)
  id!: string;

  @Field()
  idempotencyKey!: string;

  @Field(() => String, { nullable: true })
  reason?: string | null;
}
