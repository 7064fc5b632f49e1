import { PrimaryKeyProp } from '@mikro-orm/core';
import { Entity, PrimaryKey } from '@mikro-orm/decorators/legacy';

/** A seat staff took out of sale for one performance: the record a lost hold engine is rebuilt from. */
@Entity({ tableName: 'seat_block' })
export class SeatBlock {
  [PrimaryKeyProp]?: ['performanceId', 'seatId'];

  @PrimaryKey({ type: 'uuid' })
  performanceId!: string;

  @PrimaryKey({ length: 64 })
  seatId!: string;
}
