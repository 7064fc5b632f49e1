import { Hotel } from './catalog/hotel.entity.js';
import { IdempotencyKey } from './booking/idempotency-key.entity.js';
import { RoomTypeInventory } from './stays/room-type-inventory.entity.js';
import { OutboxEvent } from './live/outbox-event.entity.js';
import { PricingRule } from './stays/pricing-rule.entity.js';
import { Reservation } from './booking/reservation.entity.js';
import { RoomTypeRate } from './stays/room-type-rate.entity.js';
import { RoomType } from './catalog/room-type.entity.js';
import { Room } from './catalog/room.entity.js';
import { TestGatewayCharge } from './booking/test-gateway-charge.entity.js';
import { Venue } from './venues/venue.entity.js';
import { SeatingChart } from './venues/seating-chart.entity.js';
import { Performance } from './venues/performance.entity.js';
import { SeatBlock } from './venues/seat-block.entity.js';
import { Booking } from './venues/booking.entity.js';
import { BookingItem } from './venues/booking-item.entity.js';
import { Exhibition } from './venues/exhibition.entity.js';
import { TimeSlot } from './venues/time-slot.entity.js';
import { Restaurant } from './venues/restaurant.entity.js';
import { DiningTable } from './venues/dining-table.entity.js';

export {
  Hotel,
  IdempotencyKey,
  RoomTypeInventory,
  OutboxEvent,
  PricingRule,
  Reservation,
  RoomTypeRate,
  RoomType,
  Room,
  TestGatewayCharge,
  Venue,
  SeatingChart,
  Performance,
  SeatBlock,
  Booking,
  BookingItem,
  Exhibition,
  TimeSlot,
  Restaurant,
  DiningTable,
};

/** Listed explicitly: no glob discovery, so the same list works from src/ and dist/. */
export const entities = [
  Hotel,
  RoomType,
  Room,
  RoomTypeInventory,
  RoomTypeRate,
  PricingRule,
  Reservation,
  IdempotencyKey,
  OutboxEvent,
  TestGatewayCharge,
  Venue,
  SeatingChart,
  Performance,
  SeatBlock,
  Booking,
  BookingItem,
  Exhibition,
  TimeSlot,
  Restaurant,
  DiningTable,
];
