import type { EntityManager } from '@mikro-orm/postgresql';
import { Reservation } from '../../entities/booking/reservation.entity.js';
import type { BookingDeps } from './booking.deps.js';
import { withDeadline } from './payments/payment-gateway.js';

/** Returns a charge through the gateway; a failure is logged and left for the sweeper's refund pass. */
export async function refundCharge(deps: BookingDeps, reservationId: string): Promise<boolean> {
  try {
    await withDeadline(deps.settings.paymentTimeoutMs, (signal) => deps.gateway.refund(reservationId, signal));
    return true;
  } catch (error) {
    deps.logger.error({ err: error, reservationId }, 'refund failed; will retry');
    return false;
  }
}

/**
 * Pays back a REFUNDED reservation whose refund is due, and clears `refund_due` once
 * the gateway has it. Used right after a cancel and by the sweeper's retries.
 */
export async function payBackDueRefund(em: EntityManager, deps: BookingDeps, reservationId: string): Promise<boolean> {
  if (!(await refundCharge(deps, reservationId))) return false;
  await em.nativeUpdate(Reservation, { id: reservationId }, { refundDue: false });
  return true;
}
