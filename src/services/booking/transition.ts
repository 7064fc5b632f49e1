import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { HOLDING_STATUSES, Reservation, ReservationStatus } from '../../entities/booking/reservation.entity.js';
import { releaseRooms } from '../stays/availability.js';
import { confirmPending } from './booking.store.js';
import type { KeyScope } from './idempotency.store.js';
import { recordStatus, statusChangeOf, statusEvent } from './status-events.js';

const holds = (status: ReservationStatus) => (HOLDING_STATUSES as readonly ReservationStatus[]).includes(status);

export interface Transition {
  reservationId: string;
  /** The statuses it may leave; in any other it stays as it is. */
  from: readonly ReservationStatus[];
  to: ReservationStatus;
  /** Set with the move (a cancel's reason, a refund that is now due). */
  changes?: Partial<Pick<Reservation, 'refundDue' | 'cancelReason'>>;
  at: Date;
}

/**
 * The reservation state machine, in the caller's transaction: moves a reservation
 * from one of `from` into `to`, giving back its rooms when `to` holds none, and
 * records its status event. Locks the reservation row first, so the saga, a cancel
 * and the sweeper cannot both move it. Answers `moved: false`, changing nothing, when
 * it is in none of `from`.
 */
export async function transition(
  tx: EntityManager,
  { reservationId, from, to, changes = {}, at }: Transition,
): Promise<{ moved: boolean; reservation: Reservation }> {
  const reservation = await tx.findOneOrFail(Reservation, reservationId, {
    lockMode: LockMode.PESSIMISTIC_WRITE,
    refresh: true,
  });
  if (!from.includes(reservation.status)) return { moved: false, reservation };
  const releases = holds(reservation.status) && !holds(to);
  reservation.status = to;
  reservation.holdExpiresAt = null;
  Object.assign(reservation, changes);
  if (releases) {
    // A reservation is priced in its hotel's currency, which cannot change once it has one.
    await releaseRooms(tx, { id: reservation.hotel.id, currency: reservation.currency }, {
      roomTypeId: reservation.roomType.id,
      checkIn: reservation.checkIn,
      checkOut: reservation.checkOut,
      rooms: reservation.rooms,
    });
  }
  await tx.flush();
  await recordStatus(tx, reservation, at);
  return { moved: true, reservation };
}

/**
 * The common end of a booking, PENDING -> CONFIRMED after a successful charge, in one
 * statement with its status event and the key's outcome (see `confirmPending`). Undefined
 * when the reservation had left PENDING meanwhile: the caller takes `transition`.
 */
export async function confirmHeld(
  em: EntityManager,
  reservation: Reservation,
  key: KeyScope,
  at: Date,
): Promise<Reservation | undefined> {
  const row = await confirmPending(em, {
    reservationId: reservation.id,
    hotelId: reservation.hotel.id,
    event: statusEvent(statusChangeOf(reservation, ReservationStatus.CONFIRMED), at),
    key,
    at,
  });
  return row ? em.map(Reservation, row) : undefined;
}
