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
   * Attempts at the hold statement when it meets a deadlock or a lock timeout (it waits
   * for row locks, so contention alone does not fail it); after them the client gets BUSY.
   */
  maxAttempts: number;
  /**
   * Claim a new idempotency key in the hold's own statement (one commit fewer). Unset:
   * yes, except with a step hook (`afterStep`), which then stops the saga between the
   * claim and the hold as well; crash tests set it to stop the one-statement path.
   */
  claimWithHold?: boolean;
}

export const DEFAULT_BOOKING_SETTINGS: BookingSettings = {
  holdTtlMs: 15 * 60_000,
  paymentTimeoutMs: 10_000,
  idempotency: { leaseMs: 5_000, waitMs: 15_000, retentionMs: 25 * 3_600_000 },
  maxAttempts: 8,
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
