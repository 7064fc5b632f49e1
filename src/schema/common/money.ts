import { Field, ObjectType } from 'type-graphql';

@ObjectType({
  description: 'Money as a decimal string in the currency\'s minor-unit precision, e.g. "129.50".',
})
export class Money {
  @Field()
  amount!: string;

  @Field()
  currency!: string;
}
