import { Hotel } from './hotel.entity.js';
import { IdempotencyRecord } from './idempotency-record.entity.js';
import { InventoryNight } from './inventory-night.entity.js';
import { OutboxEvent } from './outbox-event.entity.js';
import { PricingRule } from './pricing-rule.entity.js';
import { Reservation } from './reservation.entity.js';
import { RoomRate } from './room-rate.entity.js';
import { RoomType } from './room-type.entity.js';
import { Room } from './room.entity.js';
import { TestGatewayCharge } from './test-gateway-charge.entity.js';

export {
  Hotel,
  IdempotencyRecord,
  InventoryNight,
  OutboxEvent,
  PricingRule,
  Reservation,
  RoomRate,
  RoomType,
  Room,
  TestGatewayCharge,
};

/** Listed explicitly: no glob discovery, so the same list works from src/ and dist/. */
export const entities = [
  Hotel,
  RoomType,
  Room,
  InventoryNight,
  RoomRate,
  PricingRule,
  Reservation,
  IdempotencyRecord,
  OutboxEvent,
  TestGatewayCharge,
];
