/**
 * Where the domain reads the time. Deadlines (holds, idempotency leases, retention)
 * are computed from it and passed to SQL, never read from the database's `now()`, so
 * a test moves time forward instead of waiting for it.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
