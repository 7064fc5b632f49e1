import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisHoldEngine } from '../../src/infra/venues/redis-hold-engine.js';
import type { HoldEngine } from '../../src/services/venues/holds/hold-engine.js';
import { MemoryHoldEngine } from '../../src/services/venues/holds/memory-hold-engine.js';
import type { GraphQLClient } from './graphql.js';

export const HOLD_FIELDS = 'token kind offeringId expiresAt items { id seatId startsAt endsAt quantity price { amount currency } } total { amount currency }';
export const BOOKING_FIELDS =
  'id kind offeringId title status version createdAt details guest { name email } total { amount currency } items { seatId quantity price { amount } } venue { id }';
export const HOLD_SEATS = `mutation($input: HoldSeatsInput!) { holdSeats(input: $input) { ${HOLD_FIELDS} } }`;
export const HOLD_BEST = `mutation($input: HoldBestAvailableInput!) { holdBestAvailable(input: $input) { ${HOLD_FIELDS} } }`;
export const EXTEND_HOLD = `mutation($token: ID!, $minutes: Int!) { extendHold(token: $token, minutes: $minutes) { ${HOLD_FIELDS} } }`;
export const RELEASE_HOLD = `mutation($token: ID!, $itemIds: [ID!]) { releaseHold(token: $token, itemIds: $itemIds) { ${HOLD_FIELDS} } }`;
export const HOLD = `query($token: ID!) { hold(token: $token) { ${HOLD_FIELDS} } }`;
export const CHECKOUT = `mutation($input: CheckoutInput!) { checkout(input: $input) { ${BOOKING_FIELDS} } }`;
export const CANCEL_BOOKING = `mutation($input: CancelBookingInput!) { cancelBooking(input: $input) { ${BOOKING_FIELDS} } }`;
export const BOOKING = `query($id: ID!) { booking(id: $id) { ${BOOKING_FIELDS} } }`;
export const SEAT_STATES = `query($id: ID!, $sectionKeys: [String!]) {
  performance(id: $id) { available sections { key capacity held sold blocked available } seats(sectionKeys: $sectionKeys) { seatId status } }
}`;
export const SEATS_CHANGED = `subscription($performanceId: ID!, $sectionKeys: [String!]) {
  seatsChanged(performanceId: $performanceId, sectionKeys: $sectionKeys) {
    eventId performanceId at seats { seatId status } sections { key held sold blocked available }
  }
}`;

export interface HoldData {
  token: string;
  expiresAt: string;
  items: { id: string; seatId: string; price: { amount: string } }[];
  total: { amount: string; currency: string };
}

export interface BookingData {
  id: string;
  status: string;
  version: number;
  details: Record<string, unknown> | null;
  total: { amount: string };
  items: { seatId: string }[];
}

export function checkoutInput(holdToken: string, overrides: Record<string, unknown> = {}) {
  return {
    holdToken,
    idempotencyKey: randomUUID(),
    guest: { name: 'Ada Guest', email: 'ada@example.com' },
    paymentToken: 'tok_ok',
    ...overrides,
  };
}

export async function holdSeats(client: GraphQLClient, token: string, performanceId: string, seatIds: string[]): Promise<HoldData> {
  return (await client.ok<{ holdSeats: HoldData }>(HOLD_SEATS, { input: { performanceId, seatIds } }, token)).holdSeats;
}

/** Every seat's status of a performance, by seat id. */
export async function seatStates(client: GraphQLClient, performanceId: string): Promise<Map<string, string>> {
  const data = await client.ok<{ performance: { seats: { seatId: string; status: string }[] } }>(SEAT_STATES, { id: performanceId });
  return new Map(data.performance.seats.map((s) => [s.seatId, s.status]));
}

/**
 * A hold engine of the test's own: on the test Redis with its own reaper index (so a
 * test that moves its clock hours ahead cannot reap other tests' holds), or in memory.
 */
export function isolatedHoldEngine(): { engine: HoldEngine; close(): Promise<void> } {
  const url = process.env.REDIS_URL;
  if (!url) return { engine: new MemoryHoldEngine(), close: async () => undefined };
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  const engine = new RedisHoldEngine(redis, { indexPrefix: `test:${randomUUID()}:` });
  return {
    engine,
    close: async () => {
      await engine.close();
      redis.disconnect();
    },
  };
}
