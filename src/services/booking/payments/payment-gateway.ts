/**
 * The payment gateway the booking saga charges. Every call carries the caller's
 * idempotency key (the reservation id), so retrying a call never charges twice.
 */
export interface ChargeRequest {
  idempotencyKey: string;
  amountMinor: number;
  currency: string;
  token: string;
}

export type ChargeOutcome = { status: 'succeeded' } | { status: 'declined'; reason: string };

/** What the gateway knows of a key: a charge's outcome, or that it never saw one. */
export type ChargeLookup = ChargeOutcome | { status: 'none' };

export interface PaymentGateway {
  /** Resolves with the outcome; rejects when the gateway cannot be reached or the signal aborts. */
  charge(request: ChargeRequest, signal: AbortSignal): Promise<ChargeOutcome>;
  lookup(idempotencyKey: string): Promise<ChargeLookup>;
  /** Returns the whole charge of this key; a no-op when there is none or it was refunded already. */
  refund(idempotencyKey: string, signal: AbortSignal): Promise<void>;
}

export class PaymentTimeoutError extends Error {
  constructor(ms: number) {
    super(`the payment gateway did not answer within ${ms} ms`);
    this.name = 'PaymentTimeoutError';
  }
}

/** Runs a gateway call with a deadline; on expiry the call is aborted and PaymentTimeoutError thrown. */
export async function withDeadline<T>(ms: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new PaymentTimeoutError(ms)), ms);
  try {
    return await call(controller.signal);
  } catch (error) {
    if (controller.signal.aborted) throw controller.signal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
