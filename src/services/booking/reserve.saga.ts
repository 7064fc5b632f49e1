import { setTimeout as delay } from 'node:timers/promises';
import { DeadlockException, LockWaitTimeoutException, OptimisticLockError } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isId } from '../../entities/id.js';
import { Reservation, ReservationStatus } from '../../entities/booking/reservation.entity.js';
import type { BookingDeps } from './booking.deps.js';
import type { Caller } from '../common/caller.js';
import { badInput, DomainError, ErrorCode, notFound } from '../common/errors.js';
import { IdempotencyKeys, requestHash, validateKey, type KeyScope } from './idempotency.js';
import { withDeadline, type ChargeOutcome } from './payments/payment-gateway.js';
import { refundCharge } from './refunds.js';
import { createHeldReservation, type HoldRequest } from './hold.js';
import { confirmHeld, transition } from './transition.js';
import { validateStayShape } from '../stays/stay.validation.js';

export interface ReserveData {
  idempotencyKey: string;
  roomTypeId: string;
  checkIn: string;
  checkOut: string;
  rooms?: number | null;
  guest: { name: string; email: string };
  paymentToken: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * The booking saga (ARCHITECTURE.md, "The reservation flow"):
 *   claim the idempotency key -> hold the nights (PENDING) -> charge the gateway
 *   -> CONFIRMED, or REJECTED with the nights given back.
 * Each step commits on its own; the gateway call runs outside any transaction. A crash
 * between steps leaves a PENDING reservation that the sweeper settles by asking the
 * gateway, and a key whose lease a retry can take over.
 */
export class ReserveSaga {
  private readonly keys: IdempotencyKeys;

  constructor(
    private readonly em: EntityManager,
    private readonly deps: BookingDeps,
  ) {
    this.keys = new IdempotencyKeys(em, deps.settings.idempotency, deps.clock);
  }

  async reserve(caller: Caller, data: ReserveData): Promise<Reservation> {
    const principal = caller.require();
    validateKey(data.idempotencyKey);
    const guest = validateGuest(data.guest);
    const token = data.paymentToken.trim();
    if (token.length < 1 || token.length > 255) throw badInput('paymentToken', 'must be 1 to 255 characters');
    if (!isId(data.roomTypeId)) throw notFound('RoomType', data.roomTypeId);
    // Today's date (and that the room type exists) is checked by the hold, for new
    // bookings only: a replay answers as the first time did.
    const stay = validateStayShape(data);

    const scope: KeyScope = { principal: principal.sub, operation: 'reserve', key: data.idempotencyKey };
    const hash = requestHash({
      roomTypeId: data.roomTypeId,
      checkIn: stay.checkIn,
      checkOut: stay.checkOut,
      rooms: stay.rooms,
      guest,
      paymentToken: token,
    });
    const claim = await this.keys.begin(scope, hash);
    if (claim.kind === 'replay') {
      if (claim.error) throw claim.error;
      return this.em.findOneOrFail(Reservation, claim.reservationId!, { refresh: true });
    }
    await this.step('claimed', claim.reservationId);

    let reservation: Reservation;
    if (claim.reservationId) {
      // A retry inheriting the claim of a request that died after holding the nights.
      reservation = await this.em.findOneOrFail(Reservation, claim.reservationId, { refresh: true });
      if (reservation.status !== ReservationStatus.PENDING) return this.conclude(scope, reservation);
    } else {
      const now = this.deps.clock.now();
      reservation = await this.hold({
        roomTypeId: data.roomTypeId,
        stay,
        principal: principal.sub,
        guest,
        now,
        holdExpiresAt: new Date(now.getTime() + this.deps.settings.holdTtlMs),
        key: scope,
      });
      await this.step('held', reservation.id);
    }

    const outcome = await this.charge(reservation, token);
    await this.step('charged', reservation.id);
    if (!outcome) {
      // The gateway did not answer: the hold stays until the sweeper asks it how the charge ended.
      return this.conclude(scope, reservation);
    }
    const settled = await this.settle(scope, reservation, outcome);
    await this.step('finalized', settled.id);
    return answer(settled);
  }

  /** Records the outcome under the key and answers with it: the reservation, or PAYMENT_DECLINED. */
  private async conclude(scope: KeyScope, reservation: Reservation): Promise<Reservation> {
    await this.keys.finish(scope, outcomeOf(reservation));
    return answer(reservation);
  }

  /** Step 2, retried on conflicts: optimistic first, then row locks in date order; BUSY when all attempts fail. */
  private async hold(request: HoldRequest): Promise<Reservation> {
    const scope = request.key;
    const { optimisticAttempts, maxAttempts, lockTimeoutMs } = this.deps.settings;
    for (let attempt = 1; ; attempt++) {
      const lock = attempt > optimisticAttempts;
      try {
        return await createHeldReservation(this.em, request, { lock, lockTimeoutMs });
      } catch (error) {
        if (error instanceof DomainError && error.code === ErrorCode.SOLD_OUT) {
          await this.keys.finish(scope, { error });
          throw error;
        }
        const contended =
          error instanceof OptimisticLockError ||
          error instanceof DeadlockException ||
          error instanceof LockWaitTimeoutException;
        if (!contended) {
          await this.keys.release(scope);
          throw error;
        }
        if (attempt >= maxAttempts) {
          await this.keys.release(scope);
          throw new DomainError(ErrorCode.BUSY, 'Too many bookings for these nights at once: retry with the same idempotency key');
        }
        // Jittered backoff, so the losers of one round do not collide again in the next.
        await delay(Math.random() * Math.min(50, 2 ** attempt));
      }
    }
  }

  /** Step 3: outside any transaction. Undefined when the gateway did not answer in time. */
  private async charge(reservation: Reservation, token: string): Promise<ChargeOutcome | undefined> {
    try {
      return await withDeadline(this.deps.settings.paymentTimeoutMs, (signal) =>
        this.deps.gateway.charge(
          {
            idempotencyKey: reservation.id,
            amountMinor: reservation.totalMinor,
            currency: reservation.currency,
            token,
          },
          signal,
        ),
      );
    } catch (error) {
      this.deps.logger.warn({ err: error, reservationId: reservation.id }, 'payment outcome unknown; the sweeper will settle it');
      return undefined;
    }
  }

  /**
   * Step 4: CONFIRMED, or REJECTED with the nights given back. If the reservation left
   * PENDING meanwhile (the sweeper expired it, the guest cancelled), money that was
   * taken goes back: a charge is never kept without a CONFIRMED reservation. The common
   * case, a success on a reservation still PENDING, is one statement (`confirmHeld`).
   */
  private async settle(scope: KeyScope, reservation: Reservation, outcome: ChargeOutcome): Promise<Reservation> {
    if (outcome.status === 'succeeded') {
      const confirmed = await confirmHeld(this.em, reservation, scope, this.deps.clock.now());
      if (confirmed) return confirmed;
    }
    const status = outcome.status === 'succeeded' ? ReservationStatus.CONFIRMED : ReservationStatus.REJECTED;
    const { moved, reservation: current } = await this.em.transactional(async (tx) => {
      const moved = await transition(tx, {
        reservationId: reservation.id,
        from: [ReservationStatus.PENDING],
        to: status,
        at: this.deps.clock.now(),
      });
      // The key's outcome commits with the transition: one transaction fewer per booking.
      await this.keys.finish(scope, outcomeOf(moved.reservation), tx);
      return moved;
    });
    if (!moved && outcome.status === 'succeeded' && current.status !== ReservationStatus.CONFIRMED) {
      await refundCharge(this.deps, current.id);
    }
    return current;
  }

  private async step(step: Parameters<NonNullable<BookingDeps['afterStep']>>[0], id: string | null) {
    await this.deps.afterStep?.(step, id);
  }
}


const declined = () => new DomainError(ErrorCode.PAYMENT_DECLINED, 'The payment was declined');

/** What the idempotency key remembers of a settled reservation. */
function outcomeOf(reservation: Reservation): { reservationId: string; error?: DomainError } {
  return reservation.status === ReservationStatus.REJECTED
    ? { reservationId: reservation.id, error: declined() }
    : { reservationId: reservation.id };
}

/** The client's answer: the reservation, or PAYMENT_DECLINED when its payment was refused. */
function answer(reservation: Reservation): Reservation {
  if (reservation.status === ReservationStatus.REJECTED) throw declined();
  return reservation;
}

function validateGuest(guest: { name: string; email: string }) {
  const name = guest.name.trim();
  if (name.length < 1 || name.length > 200) throw badInput('guest.name', 'must be 1 to 200 characters');
  const email = guest.email.trim();
  if (email.length > 320 || !EMAIL.test(email)) throw badInput('guest.email', 'must be an email address');
  return { name, email };
}
