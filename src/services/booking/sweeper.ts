import type { EntityManager } from '@mikro-orm/postgresql';
import { ReservationStatus } from '../../entities/booking/reservation.entity.js';
import type { BookingDeps } from './booking.deps.js';
import { IdempotencyKeys } from './idempotency.js';
import { purgePublished } from '../live/outbox.store.js';
import type { Payable, PaymentLedger, SweepScope } from './payment-saga.js';
import { refundCharge } from './refunds.js';
import { reservationLedger } from './reservation-ledger.js';

export interface SweepReport {
  confirmed: number;
  expired: number;
  refunded: number;
  /** Follow-ups outside PostgreSQL finished (a venue booking's seats in the hold engine). */
  resynced: number;
  purgedKeys: number;
}

const BATCH = 100;

/**
 * Settles what the saga left behind, for every product's ledger. A PENDING record past
 * its deadline is CONFIRMED if the gateway took the money, else EXPIRED with its units
 * given back; refunds that failed are retried; expired idempotency keys are purged.
 * Safe to run on every server at once: each record is claimed FOR UPDATE SKIP LOCKED,
 * and a transition only happens from the state it was decided on.
 */
export class Sweeper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<SweepReport>;

  constructor(
    private readonly em: EntityManager,
    private readonly deps: BookingDeps,
    private readonly ledgers: readonly PaymentLedger<Payable>[] = [reservationLedger],
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.runOnce().catch((err: unknown) => this.deps.logger.error({ err }, 'sweep failed'));
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a sweep in progress. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /**
   * One pass. `now` moves the clock (to settle holds as of a later time); `scope`
   * limits the pass to some hotels or venues (staff settling their own, or tests sharing
   * a database) and then leaves idempotency keys alone. Unscoped calls share the pass
   * in progress.
   */
  runOnce(now: Date = this.deps.clock.now(), scope?: SweepScope): Promise<SweepReport> {
    if (scope) return this.sweep(now, scope);
    this.running ??= this.sweep(now).finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweep(now: Date, scope?: SweepScope): Promise<SweepReport> {
    const em = this.em.fork();
    const report: SweepReport = { confirmed: 0, expired: 0, refunded: 0, resynced: 0, purgedKeys: 0 };
    for (const ledger of this.ledgers) {
      for (const id of await ledger.dueIds(em, now, BATCH, scope)) {
        const outcome = await this.settle(em.fork(), ledger, id, now);
        if (outcome) report[outcome]++;
      }
      for (const id of await ledger.refundsDue(em, BATCH, scope)) {
        if (await refundCharge(this.deps, id)) {
          await ledger.refunded(em, id);
          report.refunded++;
        }
      }
      report.resynced += (await ledger.resync?.(em, BATCH, scope)) ?? 0;
    }
    if (!scope) {
      report.purgedKeys = await new IdempotencyKeys(em, this.deps.settings.idempotency, this.deps.clock).purgeExpired(now);
      // Published events live on in the Redis stream; the outbox keeps a day for inspection.
      await purgePublished(em, new Date(now.getTime() - 86_400_000));
    }
    if (report.confirmed + report.expired + report.refunded + report.resynced > 0) {
      this.deps.logger.info(report, 'sweep settled bookings');
    }
    return report;
  }

  private async settle(
    em: EntityManager,
    ledger: PaymentLedger<Payable>,
    id: string,
    now: Date,
  ): Promise<'confirmed' | 'expired' | undefined> {
    // Ask the gateway first, outside any transaction: the answer decides the transition.
    const charge = await this.deps.gateway.lookup(id);
    const to = charge.status === 'succeeded' ? ReservationStatus.CONFIRMED : ReservationStatus.EXPIRED;
    // Settled meanwhile by the saga, a cancel, or another sweeper: not ours.
    const { moved } = await ledger.settle(em, { id, to, at: now, expiredBefore: now });
    if (!moved) return undefined;
    return to === ReservationStatus.CONFIRMED ? 'confirmed' : 'expired';
  }
}
