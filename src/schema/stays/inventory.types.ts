import { Field, InputType, Int, ID, ObjectType } from 'type-graphql';
import type { Offer } from '../../services/stays/search.service.js';
import type { InventoryDay as InventoryDayValue } from '../../services/stays/inventory-day.js';
import type { DateRange, SetInventoryData, SetPricingRulesData, SetRatesData } from '../../services/stays/inventory.service.js';
import { money, Money } from '../common/money.js';
import { LocalDateScalar } from '../common/scalars.js';

@ObjectType()
export class InventoryDay {
  @Field(() => LocalDateScalar)
  date!: string;

  @Field(() => Int, { description: 'Rooms of this type that exist on this night.' })
  total!: number;

  @Field(() => Int, { description: 'Rooms sold on this night (held PENDING and CONFIRMED reservations).' })
  reserved!: number;

  @Field(() => Int, { description: 'The most that may be sold: floor(total * (100 + overbookingPercent) / 100).' })
  sellLimit!: number;

  @Field(() => Int, { description: 'sellLimit - reserved, never negative.' })
  available!: number;

  @Field(() => Money, {
    nullable: true,
    description:
      'The base rate set by staff for this night, null where none is set. A night with no inventory or no base rate cannot be sold.',
  })
  baseRate!: Money | null;

  @Field(() => Money, {
    nullable: true,
    description:
      'What one room costs on this night now: baseRate adjusted by the pricing rule with the highest minOccupancyPercent <= 100 * reserved / total (none: baseRate). Null where baseRate is null.',
  })
  rate!: Money | null;

  static from(day: InventoryDayValue): InventoryDay {
    return {
      date: day.date,
      total: day.total,
      reserved: day.reserved,
      sellLimit: day.sellLimit,
      available: day.available,
      baseRate: day.baseRateMinor === null ? null : money(day.baseRateMinor, day.currency),
      rate: day.rateMinor === null ? null : money(day.rateMinor, day.currency),
    };
  }
}

@ObjectType()
export class NightlyPrice {
  @Field(() => LocalDateScalar)
  date!: string;

  @Field(() => Money)
  price!: Money;
}

/**
 * One offer of a search. `roomType` and `nights` are resolved from `offer` only when
 * asked for (SearchResolver): most searches ask for neither, and an entity per room
 * type and a Money per night were a good part of a search's CPU.
 */
@ObjectType()
export class RoomOffer {
  offer!: Offer;

  @Field(() => Int, { description: 'The least availability over the nights of the stay.' })
  available!: number;

  @Field(() => Money, {
    description:
      "Price of the whole stay for the requested number of rooms: the sum of the nights' rates times rooms. reserve charges exactly this when nothing changed in between.",
  })
  total!: Money;
}

/** The nights [from, to) of one room type. */
@InputType()
abstract class NightRangeInput implements DateRange {
  @Field(() => ID)
  roomTypeId!: string;

  @Field(() => LocalDateScalar)
  from!: string;

  @Field(() => LocalDateScalar, { description: 'Exclusive.' })
  to!: string;
}

@InputType()
export class SetInventoryInput extends NightRangeInput implements SetInventoryData {
  @Field(() => Int, {
    description:
      'Rooms that exist on each of these nights. A total whose sell limit would fall below what is already reserved on any of them is refused with INVALID_STATE, and nothing changes.',
  })
  total!: number;
}

@InputType()
export class SetRatesInput extends NightRangeInput implements SetRatesData {
  @Field({ description: "Decimal string in the hotel's currency." })
  amount!: string;
}

@InputType()
export class PricingRuleInput {
  @Field(() => Int, { description: '0 to 100' })
  minOccupancyPercent!: number;

  @Field(() => Int, { description: '-90 to 500' })
  adjustmentPercent!: number;
}

@InputType()
export class SetPricingRulesInput implements SetPricingRulesData {
  @Field(() => ID)
  roomTypeId!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => [PricingRuleInput], { description: "Replaces the room type's rules; thresholds must be distinct." })
  rules!: PricingRuleInput[];
}
