import { Reservation, ReservationStatus } from '../../entities/booking/reservation.entity.js';
import { claimExpiredHold } from './booking.store.js';
import type { PaymentLedger } from './payment-saga.js';
import { confirmHeld, transition } from './transition.js';

/** Hotel reservations, as the payment saga and the sweeper see them. */
export const reservationLedger: PaymentLedger<Reservation> = {
  load: (em, id) => em.findOneOrFail(Reservation, id, { refresh: true }),

  settle: (em, { id, to, at, expiredBefore, inTransaction }) =>
    em.transactional(async (tx) => {
      if (expiredBefore && !(await claimExpiredHold(tx, id, expiredBefore))) {
        return { moved: false, record: await tx.findOneOrFail(Reservation, id) };
      }
      const { moved, reservation } = await transition(tx, {
        reservationId: id,
        from: [ReservationStatus.PENDING],
        to,
        at,
      });
      await inTransaction?.(tx, reservation);
      return { moved, record: reservation };
    }),

  confirm: confirmHeld,

  async dueIds(em, now, limit, scope) {
    if (scope && !scope.hotelIds) return [];
    const inScope = scope?.hotelIds ? { hotel: { $in: [...scope.hotelIds] } } : {};
    const due = await em.find(
      Reservation,
      { status: ReservationStatus.PENDING, holdExpiresAt: { $lt: now }, ...inScope },
      { fields: ['id'], orderBy: { holdExpiresAt: 'asc' }, limit },
    );
    return due.map((r) => r.id);
  },

  async refundsDue(em, limit, scope) {
    if (scope && !scope.hotelIds) return [];
    const inScope = scope?.hotelIds ? { hotel: { $in: [...scope.hotelIds] } } : {};
    const due = await em.find(Reservation, { refundDue: true, ...inScope }, { fields: ['id'], limit });
    return due.map((r) => r.id);
  },

  async refunded(em, id) {
    await em.nativeUpdate(Reservation, { id }, { refundDue: false });
  },
};
