import { Field, ObjectType } from 'type-graphql';
import { formatAmount } from '../../services/common/money.js';

@ObjectType({
  description: 'Money as a decimal string in the currency\'s minor-unit precision, e.g. "129.50".',
})
export class Money {
  @Field()
  amount!: string;

  @Field()
  currency!: string;
}

/** An amount in minor units, as the client sees it. */
export function money(minor: number, currency: string): Money {
  return { amount: formatAmount(minor, currency), currency };
}
