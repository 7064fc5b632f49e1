import type { FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ReservationStatus } from '../../../entities/booking/reservation.entity.js';
import { isId } from '../../../entities/id.js';
import { Booking } from '../../../entities/venues/booking.entity.js';
import { Performance } from '../../../entities/venues/performance.entity.js';
import { Venue } from '../../../entities/venues/venue.entity.js';
import type { BookingDeps } from '../../booking/booking.deps.js';
import { IdempotencyKeys, requestHash, type KeyScope } from '../../booking/idempotency.js';
import { refundCharge } from '../../booking/refunds.js';
import { canManageVenue, type Caller, type Principal } from '../../common/caller.js';
import { badInput, DomainError, ErrorCode, invalidState, notFound, versionConflict } from '../../common/errors.js';
import { findOrNotFound } from '../../common/lookup.js';
import { decodeCursor, encodeCursor, pageSize, toPage, type Page, type PageRequest } from '../../common/pagination.js';
import { assertDetails } from '../details.js';
import type { VenueDeps } from '../venue.deps.js';
import { syncSeats, transitionBooking } from './booking-ledger.js';

export interface CancelBookingData {
  id: string;
  idempotencyKey: string;
  reason?: string | null;
}

export interface UpdateDetailsData {
  id: string;
  version: number;
  details: Record<string, unknown>;
}

/**
 * Reading, changing and cancelling venue bookings. A booking is visible to the
 * principal that made it, staff of its venue and admins; to anyone else it does not exist.
 */
export class BookingService {
  private readonly keys: IdempotencyKeys;

  constructor(
    private readonly em: EntityManager,
    private readonly booking: BookingDeps,
    private readonly deps: VenueDeps,
  ) {
    this.keys = new IdempotencyKeys(em, booking.settings.idempotency, booking.clock);
  }

  get(caller: Caller, id: string): Promise<Booking> {
    return this.visible(caller.require(), id);
  }

  mine(caller: Caller, page: PageRequest): Promise<Page<Booking>> {
    return this.page({ principal: caller.require().sub }, page);
  }

  async ofVenue(caller: Caller, venueId: string, page: PageRequest & { status?: ReservationStatus | null }): Promise<Page<Booking>> {
    caller.requireVenueManager(venueId);
    await findOrNotFound(this.em, Venue, venueId);
    const where: FilterQuery<Booking> = { venue: venueId };
    if (page.status) where.status = page.status;
    return this.page(where, page);
  }

  /** Replaces the details while the booking is PENDING or CONFIRMED, validated as at checkout. */
  async updateDetails(caller: Caller, data: UpdateDetailsData): Promise<Booking> {
    const booking = await this.visible(caller.require(), data.id);
    if (booking.status !== ReservationStatus.PENDING && booking.status !== ReservationStatus.CONFIRMED) {
      throw invalidState(`The details of a ${booking.status} booking cannot change`);
    }
    if (booking.version !== data.version) throw versionConflict('Booking', booking.id);
    const performance = await this.em.findOne(Performance, booking.offeringId, { fields: ['detailsSchema'] });
    assertDetails(performance?.detailsSchema ?? null, data.details);
    booking.details = data.details;
    await this.em.flush();
    return booking;
  }

  /**
   * PENDING -> CANCELLED; CONFIRMED -> REFUNDED with the money returned; the seats are
   * freed either way. Cancelling again answers the same; EXPIRED and REJECTED bookings,
   * and performances that have started, cannot be cancelled (INVALID_STATE).
   */
  async cancel(caller: Caller, data: CancelBookingData): Promise<Booking> {
    const principal = caller.require();
    const reason = data.reason?.trim() || null;
    if (reason && reason.length > 1000) throw badInput('reason', 'at most 1000 characters');
    const scope: KeyScope = { principal: principal.sub, operation: 'cancelBooking', key: data.idempotencyKey };
    const claim = await this.keys.begin(scope, requestHash({ id: data.id, reason }));
    if (claim.kind === 'replay') {
      if (claim.error) throw claim.error;
      return this.em.findOneOrFail(Booking, claim.reservationId!, { refresh: true });
    }
    try {
      const booking = await this.cancelVisible(principal, data.id, reason);
      await this.keys.finish(scope, { reservationId: booking.id });
      return booking;
    } catch (error) {
      if (error instanceof DomainError && error.code !== ErrorCode.BUSY) await this.keys.finish(scope, { error });
      else await this.keys.release(scope);
      throw error;
    }
  }

  private async cancelVisible(principal: Principal, id: string, reason: string | null): Promise<Booking> {
    const found = await this.visible(principal, id);
    const performance = await this.em.findOne(Performance, found.offeringId, { fields: ['startsAt'] });
    const now = this.booking.clock.now();
    const { booking, moved } = await this.em.transactional(async (tx) => {
      const current = await tx.findOneOrFail(Booking, found.id, { refresh: true });
      switch (current.status) {
        case ReservationStatus.CANCELLED:
        case ReservationStatus.REFUNDED:
          return { booking: current, moved: false };
        case ReservationStatus.EXPIRED:
        case ReservationStatus.REJECTED:
          throw invalidState(`A ${current.status} booking cannot be cancelled`);
      }
      if (performance && performance.startsAt <= now) throw invalidState('The performance has started');
      const paid = current.status === ReservationStatus.CONFIRMED;
      return transitionBooking(tx, {
        id: current.id,
        from: [current.status],
        to: paid ? ReservationStatus.REFUNDED : ReservationStatus.CANCELLED,
        changes: { cancelReason: reason, refundDue: paid },
      });
    });
    if (!moved) return booking;
    await syncSeats(this.em, this.deps, booking);
    if (booking.refundDue && (await refundCharge(this.booking, booking.id))) {
      await this.em.nativeUpdate(Booking, { id: booking.id }, { refundDue: false });
      return this.em.findOneOrFail(Booking, booking.id, { refresh: true });
    }
    return booking;
  }

  private async visible(principal: Principal, id: string): Promise<Booking> {
    const booking = isId(id) ? await this.em.findOne(Booking, id) : null;
    if (!booking || !(booking.principal === principal.sub || canManageVenue(principal, booking.venue.id))) {
      throw notFound('Booking', id);
    }
    return booking;
  }

  private async page(where: FilterQuery<Booking>, request: PageRequest): Promise<Page<Booking>> {
    const size = pageSize(request.first);
    const filter: FilterQuery<Booking> = { ...(where as object) };
    if (request.after != null) (filter as Record<string, unknown>).id = { $lt: decodeCursor(request.after, isId) };
    // UUIDv7 ids grow with creation time: id order is newest first.
    const rows = await this.em.find(Booking, filter, { orderBy: { id: 'desc' }, limit: size + 1 });
    return toPage(rows, size, (booking) => encodeCursor(booking.id));
  }
}
