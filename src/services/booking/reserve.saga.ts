import { setTimeout as delay } from 'node:timers/promises';
import { OptimisticLockError } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isId } from '../../entities/id.js';
import { Reservation } from '../../entities/booking/reservation.entity.js';
import type { BookingDeps } from './booking.deps.js';
import type { Caller } from '../common/caller.js';
import { badInput, DomainError, ErrorCode, notFound } from '../common/errors.js';
import { isLockContention } from '../common/sql.js';
import { requestHash, validateKey, type KeyScope, type NewClaim } from './idempotency.js';
import { claimAndHold, createHeldReservation, type HoldRequest, type StayRequest } from './hold.js';
import { PaymentSaga } from './payment-saga.js';
import { reservationLedger } from './reservation-ledger.js';
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
 * Reserving nights: the payment saga (./payment-saga.ts) with the hotel's hold, one
 * statement that locks the nights, prices them and writes the reservation (and, for a
 * new idempotency key, claims the key too).
 */
export class ReserveSaga {
  private readonly saga: PaymentSaga;

  constructor(
    private readonly em: EntityManager,
    private readonly deps: BookingDeps,
  ) {
    this.saga = new PaymentSaga(em, deps);
  }

  reserve(caller: Caller, data: ReserveData): Promise<Reservation> {
    const principal = caller.require();
    validateKey(data.idempotencyKey);
    const guest = validateGuest(data.guest);
    const token = validatePaymentToken(data.paymentToken);
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
    const request = (now: Date): StayRequest => ({
      roomTypeId: data.roomTypeId,
      stay,
      principal: principal.sub,
      guest,
      now,
      holdExpiresAt: new Date(now.getTime() + this.deps.settings.holdTtlMs),
    });
    return this.saga.run(reservationLedger, {
      scope,
      hash,
      paymentToken: token,
      hold: (key) => this.hold({ ...request(this.deps.clock.now()), key }),
      claimAndHold: (claim) => this.claimAndHold(request(claim.now), claim),
    });
  }

  /**
   * Steps 1 and 2 at once for a new key (`claimAndHold`); undefined, for the saga to take
   * the steps one by one, when it did neither, and also when it met a deadlock or a lock
   * timeout (the separate hold retries those).
   */
  private async claimAndHold(request: StayRequest, claim: NewClaim): Promise<Reservation | undefined> {
    let reservation: Reservation | undefined;
    try {
      reservation = await claimAndHold(this.em, request, claim);
    } catch (error) {
      if (isLockContention(error)) return undefined;
      throw error;
    }
    if (reservation) this.changedHere(reservation, request);
    return reservation;
  }

  private changedHere(reservation: Reservation, request: StayRequest): void {
    this.deps.views?.changedHere(reservation.hotel.id, { from: request.stay.checkIn, to: request.stay.checkOut });
  }

  /**
   * Step 2: one statement that waits for the nights' row locks (`createHeldReservation`).
   * It does not fail for contention; a deadlock or a lock timeout (which the database may
   * be configured with) is retried with jitter, and BUSY when every attempt met one.
   */
  private async hold(request: HoldRequest): Promise<Reservation> {
    const { maxAttempts } = this.deps.settings;
    for (let attempt = 1; ; attempt++) {
      try {
        const reservation = await createHeldReservation(this.em, request);
        this.changedHere(reservation, request);
        return reservation;
      } catch (error) {
        const contended = error instanceof OptimisticLockError || isLockContention(error);
        if (!contended) throw error;
        if (attempt >= maxAttempts) {
          throw new DomainError(ErrorCode.BUSY, 'Too many bookings for these nights at once: retry with the same idempotency key');
        }
        // Jittered backoff, so the losers of one round do not collide again in the next.
        await delay(Math.random() * Math.min(50, 2 ** attempt));
      }
    }
  }
}

/** The payment token as the gateway takes it. */
export function validatePaymentToken(paymentToken: string): string {
  const token = paymentToken.trim();
  if (token.length < 1 || token.length > 255) throw badInput('paymentToken', 'must be 1 to 255 characters');
  return token;
}

export function validateGuest(guest: { name: string; email: string }) {
  const name = guest.name.trim();
  if (name.length < 1 || name.length > 200) throw badInput('guest.name', 'must be 1 to 200 characters');
  const email = guest.email.trim();
  if (email.length > 320 || !EMAIL.test(email)) throw badInput('guest.email', 'must be an email address');
  return { name, email };
}
