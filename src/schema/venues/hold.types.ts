import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { OfferingKind } from '../../entities/venues/offering.js';
import type { CheckoutData } from '../../services/venues/bookings/checkout.service.js';
import type { HoldBestData, HoldSeatsData } from '../../services/venues/holds/hold.service.js';
import { Money } from '../common/money.js';
import { GuestInput } from '../booking/reservation.types.js';
import { JSONObjectScalar } from './json-object.js';

@ObjectType()
export class HoldItem {
  @Field(() => ID)
  id!: string;

  @Field(() => ID, { nullable: true, description: 'PERFORMANCE' })
  seatId!: string | null;

  @Field(() => ID, { nullable: true, description: 'EXHIBITION' })
  timeSlotId!: string | null;

  @Field(() => ID, { nullable: true, description: 'RESTAURANT' })
  tableId!: string | null;

  @Field(() => Date)
  startsAt!: Date;

  @Field(() => Date)
  endsAt!: Date;

  @Field(() => Int, { description: '1 per seat; tickets for a time slot; covers for a table.' })
  quantity!: number;

  @Field(() => Money)
  price!: Money;
}

@ObjectType()
export class Hold {
  @Field(() => ID, { description: 'Secret to the holder: add to, extend, release or check out the hold with it.' })
  token!: string;

  @Field(() => OfferingKind)
  kind!: OfferingKind;

  @Field(() => ID)
  offeringId!: string;

  @Field(() => Date)
  expiresAt!: Date;

  @Field(() => [HoldItem])
  items!: HoldItem[];

  @Field(() => Money, { description: 'What checkout will charge.' })
  total!: Money;
}

@InputType()
export class HoldSeatsInput implements HoldSeatsData {
  @Field(() => ID)
  performanceId!: string;

  @Field(() => [ID], { description: 'All are held or none: if any is not FREE, SOLD_OUT with extensions.unavailableSeatIds.' })
  seatIds!: string[];

  @Field(() => ID, { nullable: true, description: 'Add to this hold; absent: a new hold.' })
  holdToken?: string | null;
}

@InputType()
export class HoldBestAvailableInput implements HoldBestData {
  @Field(() => ID)
  performanceId!: string;

  @Field(() => Int)
  quantity!: number;

  @Field(() => [String], { nullable: true, description: 'Only seats of these categories / sections; absent: any.' })
  categories?: string[] | null;

  @Field(() => [String], { nullable: true })
  sectionKeys?: string[] | null;

  @Field(() => Boolean, { nullable: true, defaultValue: true, description: 'true: only seats next to each other in one row, or SOLD_OUT.' })
  adjacent?: boolean | null;

  @Field(() => Boolean, { nullable: true, defaultValue: false, description: 'true: only accessible seats.' })
  accessible?: boolean | null;

  @Field(() => ID, { nullable: true })
  holdToken?: string | null;
}

@InputType()
export class CheckoutInput implements CheckoutData {
  @Field(() => ID)
  holdToken!: string;

  @Field({ description: 'As in ReserveInput: same key + same input returns the same booking; other input, IDEMPOTENCY_KEY_REUSED.' })
  idempotencyKey!: string;

  @Field(() => GuestInput)
  guest!: GuestInput;

  @Field(() => String, { nullable: true, description: "Required unless the hold's total is zero." })
  paymentToken?: string | null;

  @Field(() => JSONObjectScalar, {
    nullable: true,
    description: "Validated against the offering's detailsSchema: on failure BAD_USER_INPUT with extensions.detailsErrors [{path, message}].",
  })
  details?: Record<string, unknown> | null;
}
