import { raw, UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { TestGatewayCharge } from '../entities/test-gateway-charge.entity.js';
import type { ChargeLookup, ChargeOutcome, ChargeRequest, PaymentGateway } from './payment-gateway.js';

export const TEST_TOKENS = { ok: 'tok_ok', declined: 'tok_declined', timeout: 'tok_timeout' } as const;

/**
 * The built-in gateway for development and tests. tok_ok succeeds, tok_declined
 * (and any unknown token) declines, tok_timeout never answers. It keeps its own
 * ledger table, so tests can check exactly what was charged and refunded.
 */
export class TestPaymentGateway implements PaymentGateway {
  /** `em` is forked per call: the gateway is another system, outside the caller's transaction. */
  constructor(private readonly em: EntityManager) {}

  async charge(request: ChargeRequest, signal: AbortSignal): Promise<ChargeOutcome> {
    if (request.token === TEST_TOKENS.timeout) return hang(signal);
    const em = this.em.fork();
    const previous = await em.findOne(TestGatewayCharge, { idempotencyKey: request.idempotencyKey });
    if (previous) return outcomeOf(previous);
    const succeeded = request.token === TEST_TOKENS.ok;
    em.create(TestGatewayCharge, {
      idempotencyKey: request.idempotencyKey,
      token: request.token,
      amountMinor: request.amountMinor,
      currency: request.currency,
      status: succeeded ? 'succeeded' : 'declined',
    });
    try {
      await em.flush();
    } catch (error) {
      // The same key charged twice at once: the first one's outcome stands.
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      return outcomeOf(await this.em.fork().findOneOrFail(TestGatewayCharge, { idempotencyKey: request.idempotencyKey }));
    }
    return succeeded ? { status: 'succeeded' } : { status: 'declined', reason: 'card declined' };
  }

  async lookup(idempotencyKey: string): Promise<ChargeLookup> {
    const charge = await this.em.fork().findOne(TestGatewayCharge, { idempotencyKey });
    return charge ? outcomeOf(charge) : { status: 'none' };
  }

  async refund(idempotencyKey: string): Promise<void> {
    // One conditional UPDATE: refunding twice, or at once, returns the money once.
    await this.em.fork().nativeUpdate(
      TestGatewayCharge,
      { idempotencyKey, status: 'succeeded', refundedMinor: 0 },
      { refundedMinor: raw('amount_minor') as never, refundedAt: new Date() },
    );
  }
}

function outcomeOf(charge: TestGatewayCharge): ChargeOutcome {
  return charge.status === 'succeeded' ? { status: 'succeeded' } : { status: 'declined', reason: 'card declined' };
}

function hang(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
