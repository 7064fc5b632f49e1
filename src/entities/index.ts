import { Hotel } from './catalog/hotel.entity.js';
import { IdempotencyRecord } from './booking/idempotency-record.entity.js';
import { InventoryNight } from './stays/inventory-night.entity.js';
import { OutboxEvent } from './live/outbox-event.entity.js';
import { PricingRule } from './stays/pricing-rule.entity.js';
import { Reservation } from './booking/reservation.entity.js';
import { RoomRate } from './stays/room-rate.entity.js';
import { RoomType } from './catalog/room-type.entity.js';
import { Room } from './catalog/room.entity.js';
import { TestGatewayCharge } from './booking/test-gateway-charge.entity.js';

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
