import type { EntityManager } from '@mikro-orm/postgresql';
import { ReservationStatus } from '../../entities/booking/reservation.entity.js';
import type { BookingDeps } from './booking.deps.js';
import { DomainError, ErrorCode } from '../common/errors.js';
import { IdempotencyKeys, type KeyScope, type NewClaim } from './idempotency.js';
import { withDeadline, type ChargeOutcome } from './payments/payment-gateway.js';
import { refundCharge } from './refunds.js';

/** What the saga needs of anything it books: a hotel reservation, a venue booking. */
export interface Payable {
  id: string;
  status: ReservationStatus;
  totalMinor: number;
  currency: string;
}

/**
 * How one product keeps its records, for the saga's steps 2 and 4 and for the sweeper.
 * Everything product-specific (rooms, seats, where they are given back) is behind it.
 */
export interface PaymentLedger<T extends Payable> {
  /** The record as stored now. */
  load(em: EntityManager, id: string): Promise<T>;
  /**
   * Moves a PENDING record to `to` (CONFIRMED, REJECTED or EXPIRED), giving back what
   * it holds when `to` holds nothing, and calls `inTransaction` in the same transaction
   * (the key's outcome commits with it). With `expiredBefore`, only a record whose
   * deadline passed before it, and that no one else is settling (the sweeper's claim).
   * `moved: false` and the record as it is when it was not PENDING (or not claimable).
   */
  settle(
    em: EntityManager,
    change: {
      id: string;
      to: ReservationStatus;
      at: Date;
      expiredBefore?: Date;
      inTransaction?: (tx: EntityManager, record: T) => Promise<void>;
    },
  ): Promise<{ moved: boolean; record: T }>;
  /** The common end in fewer round trips, when the product has one: PENDING -> CONFIRMED with the key's outcome. */
  confirm?(em: EntityManager, record: T, key: KeyScope, at: Date): Promise<T | undefined>;
  /** PENDING records whose deadline passed before `now`, oldest first (optionally only within `scope`). */
  dueIds(em: EntityManager, now: Date, limit: number, scope?: SweepScope): Promise<string[]>;
  /** Records whose refund the gateway has not confirmed yet. */
  refundsDue(em: EntityManager, limit: number, scope?: SweepScope): Promise<string[]>;
  /** Marks a refund as paid back. */
  refunded(em: EntityManager, id: string): Promise<void>;
  /**
   * Finishes follow-ups outside PostgreSQL that a failure interrupted (the venue's seats
   * in the hold engine after a status change); answers how many it finished.
   */
  resync?(em: EntityManager, limit: number, scope?: SweepScope): Promise<number>;
}

/** Limits a sweep to some hotels or venues (staff settling their own, tests sharing a database). */
export interface SweepScope {
  hotelIds?: readonly string[];
  venueIds?: readonly string[];
}

/** Errors that are the request's definitive answer: a retry with the same key gets them again. */
const DEFINITIVE = new Set<ErrorCode>([ErrorCode.SOLD_OUT, ErrorCode.HOLD_EXPIRED]);

/**
 * The booking saga (ARCHITECTURE.md, "The reservation flow"), for every product:
 *   claim the idempotency key -> hold (a PENDING record) -> charge the gateway
 *   -> CONFIRMED, or REJECTED with the units given back
 * (the first two in one statement for a new key, when the product can: `claimAndHold`).
 * Each step commits on its own; the gateway call runs outside any transaction. A crash
 * between steps leaves a PENDING record that the sweeper settles by asking the gateway,
 * and a key whose lease (renewed while the saga runs) a retry takes over once it lapses.
 * Two requests may then both be past the hold for one record: the gateway charges a
 * record once (its id is the charge's idempotency key) and only one settles it.
 */
export class PaymentSaga {
  private readonly keys: IdempotencyKeys;

  constructor(
    private readonly em: EntityManager,
    private readonly deps: BookingDeps,
  ) {
    this.keys = new IdempotencyKeys(em, deps.settings.idempotency, deps.clock);
  }

  /**
   * Runs the saga for one request. `hold` creates the PENDING record (step 2) and links
   * it to the key it is given (fenced: only while this request's claim is current); a
   * SOLD_OUT or HOLD_EXPIRED from it is remembered under the key, any other failure
   * frees the key for a retry. `paymentToken` null: nothing to charge (a zero total).
   *
   * `claimAndHold`, when the product has it, does steps 1 and 2 in one statement for a
   * key that is new (one commit fewer): it claims the key with the new record, or with
   * the definitive error it throws; undefined when it did neither (the key was there
   * already, or the hold has something to say that the separate steps say in their own
   * order), and the saga then runs the steps one by one. With a step hook (`afterStep`,
   * fault injection) only when `settings.claimWithHold` asks for it: the hook is then
   * called after `held` but never after `claimed`, which this path has no point between.
   */
  async run<T extends Payable>(
    ledger: PaymentLedger<T>,
    request: {
      scope: KeyScope;
      hash: string;
      paymentToken: string | null;
      hold: (key: KeyScope) => Promise<T>;
      claimAndHold?: (claim: NewClaim) => Promise<T | undefined>;
    },
  ): Promise<T> {
    if (request.claimAndHold && (this.deps.settings.claimWithHold ?? !this.deps.afterStep)) {
      const claim = this.keys.newClaim(request.scope, request.hash);
      const record = await request.claimAndHold(claim);
      if (record) {
        return this.leased(claim.scope, async () => {
          await this.step('held', record.id);
          return this.pay(ledger, request, claim.scope, record);
        });
      }
    }
    const claim = await this.keys.begin(request.scope, request.hash);
    if (claim.kind === 'replay') {
      if (claim.error) throw claim.error;
      return ledger.load(this.em, claim.reservationId!);
    }
    return this.leased(claim.scope, () => this.work(ledger, request, claim.scope, claim.reservationId));
  }

  /** Runs `work` while renewing the lease of the claim `scope` (from here on every write to the key carries its fence). */
  private async leased<T>(scope: KeyScope, work: () => Promise<T>): Promise<T> {
    const stopRenewing = this.keys.keepLease(scope, (error) =>
      this.deps.logger.warn({ err: error }, 'could not renew an idempotency key lease; retrying'),
    );
    try {
      return await work();
    } finally {
      stopRenewing();
    }
  }

  private async work<T extends Payable>(
    ledger: PaymentLedger<T>,
    request: { paymentToken: string | null; hold: (key: KeyScope) => Promise<T> },
    scope: KeyScope,
    inherited: string | null,
  ): Promise<T> {
    await this.step('claimed', inherited);

    let record: T;
    if (inherited) {
      // A retry inheriting the claim of a request that died after the hold.
      record = await ledger.load(this.em, inherited);
      if (record.status !== ReservationStatus.PENDING) return this.conclude(scope, record);
    } else {
      try {
        record = await request.hold(scope);
      } catch (error) {
        if (error instanceof DomainError && DEFINITIVE.has(error.code)) await this.keys.finish(scope, { error });
        else await this.keys.release(scope);
        throw error;
      }
      await this.step('held', record.id);
    }
    return this.pay(ledger, request, scope, record);
  }

  /** Steps 3 and 4, for a PENDING record held under the claim `scope`. */
  private async pay<T extends Payable>(
    ledger: PaymentLedger<T>,
    request: { paymentToken: string | null },
    scope: KeyScope,
    record: T,
  ): Promise<T> {
    const outcome: ChargeOutcome | undefined =
      request.paymentToken === null || record.totalMinor === 0
        ? { status: 'succeeded' }
        : await this.charge(record, request.paymentToken);
    await this.step('charged', record.id);
    if (!outcome) {
      // The gateway did not answer: the hold stays until the sweeper asks it how the charge ended.
      return this.conclude(scope, record);
    }
    const settled = await this.settle(ledger, scope, record, outcome);
    await this.step('finalized', settled.id);
    return answer(settled);
  }

  /** Records the outcome under the key and answers with it: the record, or PAYMENT_DECLINED. */
  private async conclude<T extends Payable>(scope: KeyScope, record: T): Promise<T> {
    await this.keys.finish(scope, outcomeOf(record));
    return answer(record);
  }

  /** Step 3: outside any transaction. Undefined when the gateway did not answer in time. */
  private async charge(record: Payable, token: string): Promise<ChargeOutcome | undefined> {
    try {
      return await withDeadline(this.deps.settings.paymentTimeoutMs, (signal) =>
        this.deps.gateway.charge(
          { idempotencyKey: record.id, amountMinor: record.totalMinor, currency: record.currency, token },
          signal,
        ),
      );
    } catch (error) {
      this.deps.logger.warn({ err: error, bookingId: record.id }, 'payment outcome unknown; the sweeper will settle it');
      return undefined;
    }
  }

  /**
   * Step 4: CONFIRMED, or REJECTED with the units given back. If the record left PENDING
   * meanwhile (the sweeper expired it, the guest cancelled), money that was taken goes
   * back: a charge is never kept without a CONFIRMED record.
   */
  private async settle<T extends Payable>(
    ledger: PaymentLedger<T>,
    scope: KeyScope,
    record: T,
    outcome: ChargeOutcome,
  ): Promise<T> {
    const at = this.deps.clock.now();
    if (outcome.status === 'succeeded' && ledger.confirm) {
      const confirmed = await ledger.confirm(this.em, record, scope, at);
      if (confirmed) return confirmed;
    }
    const to = outcome.status === 'succeeded' ? ReservationStatus.CONFIRMED : ReservationStatus.REJECTED;
    const { moved, record: current } = await ledger.settle(this.em, {
      id: record.id,
      to,
      at,
      // The key's outcome commits with the transition: one transaction fewer per booking.
      inTransaction: (tx, settled) => this.keys.finish(scope, outcomeOf(settled), tx),
    });
    if (!moved && outcome.status === 'succeeded' && current.status !== ReservationStatus.CONFIRMED) {
      await refundCharge(this.deps, current.id);
    }
    // Settled by someone else meanwhile (a sweeper, a cancel, a request that stalled past
    // its lease and then confirmed): the key still learns how it ended.
    if (!moved && current.status !== ReservationStatus.PENDING) await this.keys.finish(scope, outcomeOf(current));
    return current;
  }

  private async step(step: Parameters<NonNullable<BookingDeps['afterStep']>>[0], id: string | null) {
    await this.deps.afterStep?.(step, id);
  }
}

const declined = () => new DomainError(ErrorCode.PAYMENT_DECLINED, 'The payment was declined');

/** What the idempotency key remembers of a settled record. */
function outcomeOf(record: Payable): { reservationId: string; error?: DomainError } {
  return record.status === ReservationStatus.REJECTED ? { reservationId: record.id, error: declined() } : { reservationId: record.id };
}

/** The client's answer: the record, or PAYMENT_DECLINED when its payment was refused. */
function answer<T extends Payable>(record: T): T {
  if (record.status === ReservationStatus.REJECTED) throw declined();
  return record;
}
