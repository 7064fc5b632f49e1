import pLimit, { type LimitFunction } from 'p-limit';
import { GraphQLError } from 'graphql';
import { DomainError, ErrorCode } from '../../services/common/errors.js';

/** A place taken in the gate: leave it once the answer is out (calling it again does nothing). */
export type Leave = () => void;

/**
 * At most `concurrency` heavy operations (a whole seat map, a month of a hotel's nights
 * for a page of hotels) at once in this process, and at most `maxWaiting` in line behind
 * them. A heavy answer is CPU-bound, so running more of them at once does not answer them
 * sooner; it only holds more of them in memory at the same time (a 100,000-seat map is
 * tens of megabytes of result objects before it is written out).
 */
export class HeavyGate {
  private readonly limit: LimitFunction;

  constructor(
    concurrency: number,
    private readonly maxWaiting: number,
  ) {
    this.limit = pLimit(concurrency);
  }

  /** Waits for a place and answers how to leave it; undefined at once when the line is full. */
  enter(): Promise<Leave | undefined> {
    if (this.limit.pendingCount >= this.maxWaiting) return Promise.resolve(undefined);
    return new Promise((entered) => {
      void this.limit(
        () =>
          new Promise<void>((left) => {
            let inside = true;
            entered(() => {
              if (inside) left();
              inside = false;
            });
          }),
      );
    });
  }

  /** Operations running and waiting, for tests and metrics. */
  get counts(): { running: number; waiting: number } {
    return { running: this.limit.activeCount, waiting: this.limit.pendingCount };
  }
}

/** BUSY with retryAfterSeconds and HTTP 503: the line of heavy operations is full. */
export function gateFull(): GraphQLError {
  const message = 'Too many large answers are being prepared at once: retry in 1 s';
  return new GraphQLError(message, {
    originalError: new DomainError(ErrorCode.BUSY, message, { retryAfterSeconds: 1 }),
    extensions: { http: { status: 503 } },
  });
}
