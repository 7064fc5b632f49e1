import type { EntityManager } from '@mikro-orm/postgresql';
import type { ChargeLookup, ChargeOutcome, ChargeRequest, PaymentGateway } from './payment-gateway.js';
import { findCharge, insertCharge, refundCharge } from './test-gateway.store.js';

export const TEST_TOKENS = { ok: 'tok_ok', declined: 'tok_declined', timeout: 'tok_timeout' } as const;

/**
 * The built-in gateway for development and tests. tok_ok succeeds, tok_declined
 * (and any unknown token) declines, tok_timeout never answers. It keeps its own
 * ledger table, so tests can check exactly what was charged and refunded.
 */
export class TestPaymentGateway implements PaymentGateway {
  /** The gateway is another system: it works outside the caller's transaction, on the root context. */
  constructor(private readonly em: EntityManager) {}

  async charge(request: ChargeRequest, signal: AbortSignal): Promise<ChargeOutcome> {
    if (request.token === TEST_TOKENS.timeout) return hang(signal);
    const status = request.token === TEST_TOKENS.ok ? 'succeeded' : 'declined';
    // One statement: the first charge of a key is recorded, a repeat (or a race) changes nothing.
    if (await insertCharge(this.em, { ...request, status })) return outcomeOf(status);
    const previous = await this.lookup(request.idempotencyKey);
    return previous.status === 'none' ? outcomeOf(status) : previous;
  }

  async lookup(idempotencyKey: string): Promise<ChargeLookup> {
    const charge = await findCharge(this.em, idempotencyKey);
    return charge ? outcomeOf(charge.status) : { status: 'none' };
  }

  async refund(idempotencyKey: string): Promise<void> {
    await refundCharge(this.em, idempotencyKey, new Date());
  }
}

function outcomeOf(status: string): ChargeOutcome {
  return status === 'succeeded' ? { status: 'succeeded' } : { status: 'declined', reason: 'card declined' };
}

function hang(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
