import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { HOLDING_STATUSES, ReservationStatus } from '../../../entities/booking/reservation.entity.js';
import { Booking } from '../../../entities/venues/booking.entity.js';
import { BookingItem } from '../../../entities/venues/booking-item.entity.js';
import type { PaymentLedger } from '../../booking/payment-saga.js';
import { itemUnits, onSeats } from '../seat-state.js';
import { claimExpiredBooking, markSeatsSynced } from './booking.store.js';
import type { VenueDeps } from '../venue.deps.js';

const holds = (status: ReservationStatus) => (HOLDING_STATUSES as readonly ReservationStatus[]).includes(status);

/**
 * The booking state machine, in the caller's transaction: moves a booking from one of
 * `from` into `to` (row locked first, so the saga, a cancel and the sweeper cannot both
 * move it), and takes its items out of the live set when `to` holds no seats. The seats
 * in the hold engine follow after the commit (`syncSeats`).
 */
export async function transitionBooking(
  tx: EntityManager,
  change: {
    id: string;
    from: readonly ReservationStatus[];
    to: ReservationStatus;
    changes?: Partial<Pick<Booking, 'refundDue' | 'cancelReason'>>;
  },
): Promise<{ moved: boolean; booking: Booking }> {
  const booking = await tx.findOneOrFail(Booking, change.id, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
  if (!change.from.includes(booking.status)) return { moved: false, booking };
  if (holds(booking.status) && !holds(change.to)) {
    await tx.nativeUpdate(BookingItem, { booking: booking.id }, { live: false });
  }
  booking.status = change.to;
  booking.holdExpiresAt = null;
  booking.seatsSynced = false;
  Object.assign(booking, change.changes ?? {});
  await tx.flush();
  return { moved: true, booking };
}

/**
 * Brings the booking's seats in the hold engine in line with its status: SOLD while it
 * is CONFIRMED, FREE once it holds none. Run after each commit that moves a booking; if
 * the engine is unreachable the seats stay pending there and the reconciler settles
 * them (`npm run audit` reports them meanwhile).
 */
export async function syncSeats(em: EntityManager, deps: VenueDeps, booking: Booking): Promise<boolean> {
  if (booking.status === ReservationStatus.PENDING) return true;
  const items = await em.fork().find(BookingItem, { booking: booking.id }, { fields: ['seatId', 'units'] });
  const seats = items.flatMap(itemUnits);
  const outcome = booking.status === ReservationStatus.CONFIRMED ? 'sold' : 'free';
  let conflicts: string[];
  try {
    ({ conflicts } = await onSeats(em, deps, booking.offeringId, () =>
      deps.engine.settle(booking.offeringId, booking.id, seats, outcome, deps.clock.now().getTime()),
    ));
  } catch (err) {
    deps.logger.warn({ err, bookingId: booking.id }, 'seats not settled in the hold engine; the sweeper will retry');
    return false;
  }
  // A sold seat the engine still has in a hold (a retry took over a checkout that died
  // before it moved the seats): it is taken over once that hold expires, on a later sweep.
  if (outcome === 'sold' && conflicts.length > 0) return false;
  // Only if the status is still the one followed: a later change leaves it for its own follow-up.
  await markSeatsSynced(em, booking.id, booking.status);
  return true;
}

/** Venue bookings, as the payment saga and the sweeper see them. */
export function bookingLedger(deps: VenueDeps): PaymentLedger<Booking> {
  return {
    load: (em, id) => em.findOneOrFail(Booking, id, { refresh: true }),

    async settle(em, { id, to, expiredBefore, inTransaction }) {
      const { moved, booking } = await em.transactional(async (tx) => {
        // The sweeper's claim: skip a booking another server is settling, or that the saga settled meanwhile.
        if (expiredBefore && !(await claimExpiredBooking(tx, id, expiredBefore))) {
          return { moved: false, booking: await tx.findOneOrFail(Booking, id) };
        }
        const result = await transitionBooking(tx, { id, from: [ReservationStatus.PENDING], to });
        await inTransaction?.(tx, result.booking);
        return result;
      });
      if (moved) await syncSeats(em, deps, booking);
      return { moved, record: booking };
    },

    async dueIds(em, now, limit, scope) {
      if (scope && !scope.venueIds) return [];
      const inScope = scope?.venueIds ? { venue: { $in: [...scope.venueIds] } } : {};
      const due = await em.find(
        Booking,
        { status: ReservationStatus.PENDING, holdExpiresAt: { $lt: now }, ...inScope },
        { fields: ['id'], orderBy: { holdExpiresAt: 'asc' }, limit },
      );
      return due.map((b) => b.id);
    },

    async refundsDue(em, limit, scope) {
      if (scope && !scope.venueIds) return [];
      const inScope = scope?.venueIds ? { venue: { $in: [...scope.venueIds] } } : {};
      const due = await em.find(Booking, { refundDue: true, ...inScope }, { fields: ['id'], limit });
      return due.map((b) => b.id);
    },

    async refunded(em, id) {
      await em.nativeUpdate(Booking, { id }, { refundDue: false });
    },

    async resync(em, limit, scope) {
      if (scope && !scope.venueIds) return 0;
      const inScope = scope?.venueIds ? { venue: { $in: [...scope.venueIds] } } : {};
      const unsynced = await em.find(Booking, { seatsSynced: false, ...inScope }, { limit });
      let synced = 0;
      for (const booking of unsynced) if (await syncSeats(em, deps, booking)) synced++;
      return synced;
    },
  };
}
