import { LockMode, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Hotel } from '../../entities/catalog/hotel.entity.js';
import { isId } from '../../entities/id.js';
import { Reservation, ReservationStatus } from '../../entities/booking/reservation.entity.js';
import type { BookingDeps } from './booking.deps.js';
import { canManageHotel, type Caller, type Principal } from '../common/caller.js';
import { todayIn } from '../common/dates.js';
import { badInput, DomainError, ErrorCode, invalidState, notFound } from '../common/errors.js';
import { IdempotencyKeys, requestHash, type KeyScope } from './idempotency.js';
import { findOrNotFound } from '../common/lookup.js';
import { decodeCursor, encodeCursor, pageSize, toPage, type Page, type PageRequest } from '../common/pagination.js';
import { transition } from './transition.js';
import { payBackDueRefund } from './refunds.js';

export interface CancelData {
  id: string;
  idempotencyKey: string;
  reason?: string | null;
}

/**
 * Reading and cancelling reservations. A reservation is visible to the principal that
 * booked it, staff of its hotel and admins; to anyone else it does not exist.
 */
export class ReservationService {
  private readonly keys: IdempotencyKeys;

  constructor(
    private readonly em: EntityManager,
    private readonly deps: BookingDeps,
  ) {
    this.keys = new IdempotencyKeys(em, deps.settings.idempotency, deps.clock);
  }

  get(caller: Caller, id: string): Promise<Reservation> {
    return this.visible(caller.require(), id);
  }

  private async visible(principal: Principal, id: string): Promise<Reservation> {
    const reservation = isId(id) ? await this.em.findOne(Reservation, id) : null;
    if (!reservation || !canSee(principal, reservation)) throw notFound('Reservation', id);
    return reservation;
  }

  mine(caller: Caller, page: PageRequest): Promise<Page<Reservation>> {
    const principal = caller.require();
    return this.page({ principal: principal.sub }, page);
  }

  async ofHotel(
    caller: Caller,
    hotelId: string,
    page: PageRequest & { status?: ReservationStatus | null },
  ): Promise<Page<Reservation>> {
    caller.requireHotelManager(hotelId);
    await findOrNotFound(this.em, Hotel, hotelId);
    const where: FilterQuery<Reservation> = { hotel: hotelId };
    if (page.status) where.status = page.status;
    return this.page(where, page);
  }

  /**
   * PENDING -> CANCELLED; CONFIRMED -> REFUNDED with the money returned; the nights go
   * back either way. Cancelling again answers the same; EXPIRED and REJECTED ones, and
   * stays whose check-in date has passed, cannot be cancelled (INVALID_STATE).
   */
  async cancel(caller: Caller, data: CancelData): Promise<Reservation> {
    const principal = caller.require();
    const reason = data.reason?.trim() || null;
    if (reason && reason.length > 1000) throw badInput('reason', 'at most 1000 characters');
    const scope: KeyScope = { principal: principal.sub, operation: 'cancelReservation', key: data.idempotencyKey };
    const claim = await this.keys.begin(scope, requestHash({ id: data.id, reason }));
    if (claim.kind === 'replay') {
      if (claim.error) throw claim.error;
      return this.em.findOneOrFail(Reservation, claim.reservationId!, { refresh: true });
    }
    try {
      const reservation = await this.cancelVisible(principal, data.id, reason);
      await this.keys.finish(scope, { reservationId: reservation.id });
      return reservation;
    } catch (error) {
      if (error instanceof DomainError && error.code !== ErrorCode.BUSY) await this.keys.finish(scope, { error });
      else await this.keys.release(scope);
      throw error;
    }
  }

  private async cancelVisible(principal: Principal, id: string, reason: string | null): Promise<Reservation> {
    const found = await this.visible(principal, id);
    const hotel = await found.hotel.loadOrFail();
    const { reservation, refund } = await this.em.transactional(async (tx) => {
      // Locked before we decide, so the saga or the sweeper cannot move it under us.
      const current = await tx.findOneOrFail(Reservation, found.id, {
        lockMode: LockMode.PESSIMISTIC_WRITE,
        refresh: true,
      });
      switch (current.status) {
        case ReservationStatus.CANCELLED:
        case ReservationStatus.REFUNDED:
          return { reservation: current, refund: false };
        case ReservationStatus.EXPIRED:
        case ReservationStatus.REJECTED:
          throw invalidState(`A ${current.status} reservation cannot be cancelled`);
      }
      const now = this.deps.clock.now();
      if (current.checkIn < todayIn(hotel.timezone, now)) throw invalidState('The check-in date has passed');
      const paid = current.status === ReservationStatus.CONFIRMED;
      const { reservation } = await transition(tx, {
        reservationId: current.id,
        from: [current.status],
        to: paid ? ReservationStatus.REFUNDED : ReservationStatus.CANCELLED,
        changes: { cancelReason: reason, refundDue: paid },
        at: now,
      });
      return { reservation, refund: paid };
    });
    this.deps.views?.changedHere(reservation.hotel.id, { from: reservation.checkIn, to: reservation.checkOut });
    if (refund && (await payBackDueRefund(this.em, this.deps, reservation.id))) {
      // Clearing refund_due bumped the version: answer with the row as stored.
      return this.em.findOneOrFail(Reservation, reservation.id, { refresh: true });
    }
    return reservation;
  }

  private async page(where: FilterQuery<Reservation>, request: PageRequest): Promise<Page<Reservation>> {
    const size = pageSize(request.first);
    const filter: FilterQuery<Reservation> = { ...(where as object) };
    if (request.after != null) (filter as Record<string, unknown>).id = { $lt: decodeCursor(request.after, isId) };
    // UUIDv7 ids grow with creation time: id order is newest first.
    const rows = await this.em.find(Reservation, filter, { orderBy: { id: 'desc' }, limit: size + 1 });
    return toPage(rows, size, (reservation) => encodeCursor(reservation.id));
  }
}

function canSee(principal: Principal, reservation: Reservation): boolean {
  return reservation.principal === principal.sub || canManageHotel(principal, reservation.hotel.id);
}
