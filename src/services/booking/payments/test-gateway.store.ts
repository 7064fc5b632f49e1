import { raw } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { TestGatewayCharge } from '../../../entities/booking/test-gateway-charge.entity.js';
import { column, query, sql } from '../../common/sql.js';

/** The built-in test gateway's ledger (`test_gateway_charge`): its own table, as a real gateway keeps its own books. */

export type ChargeStatus = TestGatewayCharge['status'];

/**
 * Records the first charge of a key; a repeat (or a race) changes nothing. Answers
 * whether this call recorded it.
 */
export async function insertCharge(
  em: EntityManager,
  charge: { idempotencyKey: string; token: string; amountMinor: number; currency: string; status: ChargeStatus },
): Promise<boolean> {
  const rows = await query(
    em,
    'payments.insertCharge',
    sql`insert into test_gateway_charge (idempotency_key, token, amount_minor, currency, status, refunded_minor, created_at)
        values (${charge.idempotencyKey}, ${charge.token}, ${charge.amountMinor}, ${charge.currency}, ${charge.status}, 0, now())
        on conflict (idempotency_key) do nothing
        returning status`,
    z.object({ status: column.text }),
  );
  return rows.length === 1;
}

export function findCharge(em: EntityManager, idempotencyKey: string): Promise<TestGatewayCharge | null> {
  return em.fork().findOne(TestGatewayCharge, { idempotencyKey });
}

/** One conditional UPDATE: refunding twice, or at once, returns the money once. */
export async function refundCharge(em: EntityManager, idempotencyKey: string, at: Date): Promise<void> {
  await em
    .fork()
    .nativeUpdate(
      TestGatewayCharge,
      { idempotencyKey, status: 'succeeded', refundedMinor: 0 },
      { refundedMinor: raw('amount_minor') as never, refundedAt: at },
    );
}
