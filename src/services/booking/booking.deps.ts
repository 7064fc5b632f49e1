import type { Logger } from '../common/logger.js';
import type { StayViews } from '../stays/stay-cache.js';
import type { Clock } from '../common/clock.js';
import type { IdempotencySettings } from './idempotency.js';
import type { PaymentGateway } from './payments/payment-gateway.js';

export interface BookingSettings {
  /** How long a PENDING reservation holds its nights while payment runs. */
  holdTtlMs: number;
  /** How long a gateway call may take before the saga stops waiting. */
  paymentTimeoutMs: number;
  idempotency: IdempotencySettings;
  /**
   * Optimistic attempts at holding the nights before falling back to row locks in date
   * order. One: a conflict means the nights are hot, and more optimistic rounds on a hot
   * row mostly lose again (bench/RESULTS.md).
   */
  optimisticAttempts: number;
  /** All attempts, optimistic and locking; after them the client gets BUSY. */
  maxAttempts: number;
  /** How long a locking attempt waits for a row before it counts as a failed attempt. */
  lockTimeoutMs: number;
}

export const DEFAULT_BOOKING_SETTINGS: BookingSettings = {
  holdTtlMs: 15 * 60_000,
  paymentTimeoutMs: 10_000,
  idempotency: { leaseMs: 5_000, waitMs: 15_000, retentionMs: 25 * 3_600_000 },
  optimisticAttempts: 1,
  maxAttempts: 8,
  lockTimeoutMs: 5_000,
};

/** The saga's steps, in order; tests stop the flow after any of them to simulate a crash. */
export type SagaStep = 'claimed' | 'held' | 'charged' | 'finalized';

export interface BookingDeps {
  gateway: PaymentGateway;
  settings: BookingSettings;
  logger: Logger;
  /** Hold deadlines, key leases and sweeps read the time here. */
  clock: Clock;
  /** This server's search cache, told of the nights a booking here changed. */
  views?: StayViews;
  /** Test-only fault injection: called after each step; a throw there is a crash at that point. */
  afterStep?: (step: SagaStep, reservationId: string | null) => void | Promise<void>;
}
