import type { EntityManager } from '@mikro-orm/postgresql';
import { Reservation, ReservationStatus } from '../../entities/booking/reservation.entity.js';
import type { BookingDeps } from './booking.deps.js';
import { claimExpiredHold } from './booking.store.js';
import { IdempotencyKeys } from './idempotency.js';
import { transition } from './transition.js';
import { purgePublished } from '../live/outbox.store.js';
import { payBackDueRefund } from './refunds.js';

export interface SweepReport {
  confirmed: number;
  expired: number;
  refunded: number;
  purgedKeys: number;
}

const BATCH = 100;

/**
 * Settles what the saga left behind. A PENDING reservation past holdExpiresAt is
 * CONFIRMED if the gateway took the money, else EXPIRED with its nights given back;
 * refunds that failed are retried; expired idempotency keys are purged. Safe to run
 * on every server at once: each reservation is claimed FOR UPDATE SKIP LOCKED, and a
 * transition only happens from the state it was decided on.
 */
export class Sweeper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<SweepReport>;

  constructor(
    private readonly em: EntityManager,
    private readonly deps: BookingDeps,
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
   * limits the pass to some hotels (staff settling one hotel, or tests sharing a
   * database) and then leaves idempotency keys alone. Unscoped calls share the pass
   * in progress.
   */
  runOnce(now: Date = this.deps.clock.now(), scope?: { hotelIds: readonly string[] }): Promise<SweepReport> {
    if (scope) return this.sweep(now, scope.hotelIds);
    this.running ??= this.sweep(now).finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweep(now: Date, hotelIds?: readonly string[]): Promise<SweepReport> {
    const em = this.em.fork();
    const report: SweepReport = { confirmed: 0, expired: 0, refunded: 0, purgedKeys: 0 };
    const inScope = hotelIds ? { hotel: { $in: [...hotelIds] } } : {};
    const due = await em.find(
      Reservation,
      { status: ReservationStatus.PENDING, holdExpiresAt: { $lt: now }, ...inScope },
      { fields: ['id'], orderBy: { holdExpiresAt: 'asc' }, limit: BATCH },
    );
    for (const { id } of due) {
      const outcome = await this.settle(em.fork(), id, now);
      if (outcome) report[outcome]++;
    }
    const refunds = await em.find(Reservation, { refundDue: true, ...inScope }, { fields: ['id'], limit: BATCH });
    for (const { id } of refunds) {
      if (await payBackDueRefund(em, this.deps, id)) report.refunded++;
    }
    if (!hotelIds) {
      report.purgedKeys = await new IdempotencyKeys(em, this.deps.settings.idempotency, this.deps.clock).purgeExpired(now);
      // Published events live on in the Redis stream; the outbox keeps a day for inspection.
      await purgePublished(em, new Date(now.getTime() - 86_400_000));
    }
    if (report.confirmed + report.expired + report.refunded > 0) this.deps.logger.info(report, 'sweep settled reservations');
    return report;
  }

  private async settle(em: EntityManager, id: string, now: Date): Promise<'confirmed' | 'expired' | undefined> {
    // Ask the gateway first, outside any transaction: the answer decides the transition.
    const charge = await this.deps.gateway.lookup(id);
    const status = charge.status === 'succeeded' ? ReservationStatus.CONFIRMED : ReservationStatus.EXPIRED;
    return em.transactional(async (tx) => {
      // Settled meanwhile by the saga, a cancel, or another sweeper: not ours.
      if (!(await claimExpiredHold(tx, id, now))) return undefined;
      const { moved } = await transition(tx, { reservationId: id, from: [ReservationStatus.PENDING], to: status, at: now });
      if (!moved) return undefined;
      return status === ReservationStatus.CONFIRMED ? 'confirmed' : 'expired';
    });
  }
}
