import { OptionalProps } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/** The built-in test payment gateway's own ledger: what it charged and refunded. */
@Entity({ tableName: 'test_gateway_charge' })
export class TestGatewayCharge {
  [OptionalProps]?: 'refundedMinor' | 'createdAt' | 'refundedAt';

  /** The caller's idempotency key (the reservation id): one charge per key, ever. */
  @PrimaryKey({ length: 255 })
  idempotencyKey!: string;

  @Property({ length: 255 })
  token!: string;

  @Property({ type: 'bigint', runtimeType: 'number' })
  amountMinor!: number;

  @Property({ length: 3 })
  currency!: string;

  @Property({ length: 16 })
  status!: 'succeeded' | 'declined';

  @Property({ type: 'bigint', runtimeType: 'number' })
  refundedMinor: number = 0;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  refundedAt: Date | null = null;
}
