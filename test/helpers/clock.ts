import type { Clock } from '../../src/services/common/clock.js';

/**
 * A clock that stands still until the test moves it: hold deadlines, idempotency
 * leases and key retention computed from it pass when the test says so, not after a
 * real wait. Give the same instance to every server whose deadlines must agree.
 */
export class ManualClock implements Clock {
  private ms: number;

  constructor(start: Date = new Date()) {
    this.ms = start.getTime();
  }

  now(): Date {
    return new Date(this.ms);
  }

  /** Moves the time forward by `ms` milliseconds; returns the new now. */
  advance(ms: number): Date {
    if (ms < 0) throw new Error('a ManualClock only moves forward');
    this.ms += ms;
    return this.now();
  }

  /** `ms` milliseconds from now, without moving the clock. */
  in(ms: number): Date {
    return new Date(this.ms + ms);
  }
}
