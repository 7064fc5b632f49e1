import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { ReservationStatus } from '../../../entities/booking/reservation.entity.js';
import { newId } from '../../../entities/id.js';
import { Booking } from '../../../entities/venues/booking.entity.js';
import { BookingItem } from '../../../entities/venues/booking-item.entity.js';
import type { BookingDeps } from '../../booking/booking.deps.js';
import { claimLost, requestHash, validateKey, type KeyScope } from '../../booking/idempotency.js';
import { linkKey, unlinkKey } from '../../booking/idempotency.store.js';
import { PaymentSaga } from '../../booking/payment-saga.js';
import { validateGuest, validatePaymentToken } from '../../booking/reserve.saga.js';
import type { Caller } from '../../common/caller.js';
import { badInput, DomainError, ErrorCode, invalidState } from '../../common/errors.js';
import { assertDetails } from '../details.js';
import type { HoldInfo } from '../holds/hold-engine.js';
import { holdExpired } from '../holds/hold.service.js';
import { offeringOf } from '../holds/hold-token.js';
import { loadOffering, totalOf, type HeldItem, type OfferingContext } from '../holds/offering-context.js';
import { onSeats } from '../seat-state.js';
import type { VenueDeps } from '../venue.deps.js';
import { bookingLedger, transitionBooking } from './booking-ledger.js';
import { soldElsewhere } from './booking.store.js';

export interface CheckoutData {
  holdToken: string;
  idempotencyKey: string;
  guest: { name: string; email: string };
  paymentToken?: string | null;
  details?: Record<string, unknown> | null;
}

/**
 * Checkout: a hold becomes a Booking through the same payment saga as a hotel
 * reservation. Step 2 (the hold of the saga) moves the hold's seats to "pending for
 * this booking" in the hold engine, then records the booking and its seats in
 * PostgreSQL; if the record fails, the seats go back to the hold. A checkout racing the
 * hold's deadline either moves every seat or finds the token gone (HOLD_EXPIRED).
 */
export class CheckoutService {
  private readonly saga: PaymentSaga;

  constructor(
    private readonly em: EntityManager,
    private readonly booking: BookingDeps,
    private readonly deps: VenueDeps,
  ) {
    this.saga = new PaymentSaga(em, booking);
  }

  checkout(caller: Caller, data: CheckoutData): Promise<Booking> {
    const principal = caller.require();
    validateKey(data.idempotencyKey);
    const guest = validateGuest(data.guest);
    const paymentToken = data.paymentToken == null ? null : validatePaymentToken(data.paymentToken);
    const details = data.details ?? null;
    const scope: KeyScope = { principal: principal.sub, operation: 'checkout', key: data.idempotencyKey };
    const hash = requestHash({ holdToken: data.holdToken, guest, paymentToken, details });
    return this.saga.run(bookingLedger(this.deps), {
      scope,
      hash,
      paymentToken,
      hold: (key) => this.begin(principal.sub, data.holdToken, { guest, paymentToken, details }, key),
    });
  }

  private async begin(
    owner: string,
    token: string,
    input: { guest: { name: string; email: string }; paymentToken: string | null; details: Record<string, unknown> | null },
    scope: KeyScope,
  ): Promise<Booking> {
    const offeringId = offeringOf(token);
    if (!offeringId) throw holdExpired();
    const context = await loadOffering(this.em, this.deps, offeringId, { fresh: true }).catch(() => {
      throw holdExpired();
    });
    const now = this.deps.clock.now();
    const { id } = context;
    const hold = await onSeats(this.em, this.deps, id, () => this.deps.engine.getHold(id, token, owner, now.getTime()));
    if (!hold) throw holdExpired();
    assertDetails(context.detailsSchema, input.details);
    const items = await context.items(hold);
    if (totalOf(items) > 0 && input.paymentToken === null) throw badInput('paymentToken', 'is required: the hold costs money');

    // The record first, then the seats: a crash between the two leaves a PENDING booking
    // that the sweeper settles like any other (no charge: EXPIRED), never seats the engine
    // keeps for a booking nobody knows of.
    const bookingId = newId();
    const booking = await this.record(context, items, bookingId, owner, input, scope, now).catch(async (error: unknown) => {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      // PostgreSQL has a live booking of some of these seats that the engine did not know
      // of (it lost its state while that checkout ran): they are not this hold's to sell.
      throw new DomainError(ErrorCode.SOLD_OUT, 'Some of these seats were sold meanwhile', {
        unavailableSeatIds: await soldElsewhere(this.em, id, hold.seats.map((seat) => seat.id)),
      });
    });
    let begun: Awaited<ReturnType<typeof this.deps.engine.beginCheckout>>;
    try {
      begun = await onSeats(this.em, this.deps, id, () => this.deps.engine.beginCheckout(id, token, owner, now.getTime(), bookingId));
    } catch (error) {
      // Whether the engine moved the seats is unknown: the booking is given up, and the
      // sweeper frees whatever the engine keeps for it (its seats are marked out of sync).
      await this.giveUp(booking, scope, 'expire');
      throw error;
    }
    if (!begun.ok) {
      // The hold expired or was released meanwhile: nothing was taken, and the attempt leaves
      // no trace. Unless the engine lost its state after the record and was rebuilt from
      // PostgreSQL (the token is then gone too): it keeps this booking's seats as pending,
      // so they are freed first; if that fails, the booking stays EXPIRED and the sweeper
      // frees them. All of it only if the booking is still this request's: a retry that
      // took over a lapsed claim may have settled it meanwhile.
      if (await this.giveUp(booking, scope, 'expire')) {
        const freed = await this.deps.engine
          .settle(id, bookingId, hold.seats, 'free', this.deps.clock.now().getTime())
          .then((settled) => settled.ok, () => false);
        if (freed) await this.em.nativeDelete(Booking, { id: bookingId, status: ReservationStatus.EXPIRED });
      }
      throw holdExpired();
    }
    if (!sameSeats(begun.hold, hold)) {
      // The holder changed the hold while checking out: the seats go back to the hold.
      await this.deps.engine.abortCheckout(id, begun.hold, bookingId, this.deps.clock.now().getTime());
      await this.giveUp(booking, scope, 'delete');
      throw invalidState('The hold changed during checkout: check out again');
    }
    return booking;
  }

  /**
   * Undoes the record of a checkout whose seats could not be moved: deleted when the
   * engine surely has nothing of it, EXPIRED (seats out of sync) when it may. The key is
   * unlinked from it, so a retry with the key starts afresh. Only while it is PENDING (a
   * retry that took over a lapsed claim may have settled it since); answers whether it was.
   */
  private async giveUp(booking: Booking, scope: KeyScope, how: 'delete' | 'expire'): Promise<boolean> {
    return this.em
      .transactional(async (tx) => {
        const given =
          how === 'delete'
            ? (await tx.nativeDelete(Booking, { id: booking.id, status: ReservationStatus.PENDING })) > 0
            : (await transitionBooking(tx, { id: booking.id, from: [ReservationStatus.PENDING], to: ReservationStatus.EXPIRED }))
                .moved;
        // A retry that took the key over inherited this booking: it stays as it was, for the retry to finish.
        if (given && !(await unlinkKey(tx, scope, booking.id))) throw new ClaimTakenOver();
        return given;
      })
      .catch((error: unknown) => {
        if (error instanceof ClaimTakenOver) return false;
        throw error;
      });
  }

  /**
   * The PENDING booking with one item per seat, slot or seating at the price it was held
   * at (with the engine cells of tickets and tables), and the key linked to it.
   */
  private async record(
    context: OfferingContext,
    items: HeldItem[],
    bookingId: string,
    owner: string,
    input: { guest: { name: string; email: string }; details: Record<string, unknown> | null },
    scope: KeyScope,
    now: Date,
  ): Promise<Booking> {
    return this.em.transactional(async (tx) => {
      const booking = tx.create(Booking, {
        id: bookingId,
        kind: context.kind,
        offeringId: context.id,
        venue: context.venueId,
        title: context.title,
        principal: owner,
        guestName: input.guest.name,
        guestEmail: input.guest.email,
        details: input.details,
        status: ReservationStatus.PENDING,
        totalMinor: totalOf(items),
        currency: context.currency,
        // Long enough for the gateway call; past it, the sweeper asks the gateway how it ended.
        holdExpiresAt: new Date(now.getTime() + 2 * this.booking.settings.paymentTimeoutMs + 30_000),
        createdAt: now,
      });
      items.forEach((item, position) =>
        tx.create(BookingItem, {
          booking,
          position,
          offeringId: context.id,
          seatId: item.seatId,
          timeSlotId: item.timeSlotId,
          tableId: item.tableId,
          // A seat is its own cell; tickets and tables name theirs.
          units: item.seatId ? null : item.units.map(({ id, section }) => ({ id, section })),
          startsAt: item.startsAt,
          endsAt: item.endsAt,
          quantity: item.quantity,
          priceMinor: item.priceMinor,
        }),
      );
      // The key first: its row lock orders this against a retry taking the claim over.
      if (!(await linkKey(tx, scope, bookingId))) throw claimLost();
      await tx.flush();
      return booking;
    });
  }
}

/** Rolls back a give-up whose key a retry took over meanwhile. */
class ClaimTakenOver extends Error {}

/** Whether the engine moved exactly the seats that were recorded. */
function sameSeats(moved: HoldInfo, recorded: HoldInfo): boolean {
  const ids = new Set(recorded.seats.map((seat) => seat.id));
  return moved.seats.length === ids.size && moved.seats.every((seat) => ids.has(seat.id));
}
