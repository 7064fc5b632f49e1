import { OptionalProps } from '@mikro-orm/core';
import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';

/**
 * An event written in the same transaction as the change it describes; a relay
 * publishes committed rows in `seq` order and stamps `published_at`.
 */
@Entity({ tableName: 'outbox' })
@Index({ name: 'outbox_unpublished_idx', properties: ['publishedAt', 'seq'] })
export class OutboxEvent {
  [OptionalProps]?: 'seq' | 'createdAt' | 'publishedAt';

  @PrimaryKey({ type: 'bigint', autoincrement: true, runtimeType: 'number' })
  seq!: number;

  @Property({ type: 'uuid', unique: 'outbox_event_id_unique' })
  eventId!: string;

  @Property({ length: 64 })
  topic!: string;

  /** No foreign key: an event outlives the hotel it speaks of. */
  @Property({ type: 'uuid' })
  hotelId!: string;

  @Property({ type: 'jsonb' })
  payload!: unknown;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  publishedAt: Date | null = null;
}
