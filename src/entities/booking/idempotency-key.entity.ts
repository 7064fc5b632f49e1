import { PrimaryKeyProp } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * One idempotency key of one principal for one operation (Stripe's semantics).
 * `running` while its first request works, with a lease so a crashed owner can be
 * taken over; `done` with the outcome: a reservation, or the error it ended with.
 */
@Entity({ tableName: 'idempotency_key' })
@Index({ name: 'idempotency_key_expires_at_idx', properties: ['expiresAt'] })
export class IdempotencyKey {
  [PrimaryKeyProp]?: ['principal', 'operation', 'key'];

  @PrimaryKey({ length: 255 })
  principal!: string;

  @PrimaryKey({ length: 32 })
  operation!: string;

  @PrimaryKey({ length: 255 })
  key!: string;

  /** sha256 of the request's input, without the key. */
  @Property({ length: 64 })
  requestHash!: string;

  @Property({ length: 16 })
  state!: 'running' | 'done';

  @Property({ type: 'uuid', nullable: true })
  reservationId: string | null = null;

  @Property({ length: 32, nullable: true })
  errorCode: string | null = null;

  @Property({ type: 'text', nullable: true })
  errorMessage: string | null = null;

  /** The fence of the request holding the running claim (a new one at each takeover). */
  @Property({ type: 'uuid', nullable: true })
  claimId: string | null = null;

  @Property({ type: 'timestamptz' })
  lockedUntil!: Date;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;

  @Property({ type: 'timestamptz' })
  expiresAt!: Date;
}
