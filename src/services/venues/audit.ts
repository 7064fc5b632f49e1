import type { EntityManager } from '@mikro-orm/postgresql';
import { ReservationStatus } from '../../entities/booking/reservation.entity.js';
import { paymentViolations, type InvariantReport } from '../booking/audit.js';
import { bookingPayments, knownPerformances, liveSeats, seatsSoldTwice, stalePendingBookings } from './bookings/booking.store.js';
import type { HoldEngine, SectionCounts } from './holds/hold-engine.js';
import { parseSeatId } from './seating/layout.js';

export interface VenueAuditScope {
  /** The performances to check; by default every one with bookings or with state in the hold engine. */
  performanceIds?: readonly string[];
  /** PENDING bookings are checked against this deadline (now minus one sweep interval); skipped without it. */
  staleBefore?: Date;
  /** The time the engine is read at (expired holds are purged first). */
  now?: Date;
}

/**
 * The venue invariants of VENUES.md that PostgreSQL and the hold engine can show: 6
 * (no seat sold twice), 7 (the engine's counters equal its cells, and its sold and
 * pending cells are exactly the live bookings' seats), and 9 (money: invariant 3 for
 * bookings; a PENDING booking never outlives its payment deadline by a sweep). A
 * performance whose state the engine lost is skipped for 7: it is rebuilt from
 * PostgreSQL before its next use; so is one the engine has but this database does not
 * (a Redis shared by several databases, as in tests).
 */
export async function auditVenueInvariants(
  em: EntityManager,
  engine: HoldEngine,
  scope: VenueAuditScope = {},
): Promise<InvariantReport[]> {
  const { performanceIds } = scope;
  const reports: InvariantReport[] = [];

  const twice = await seatsSoldTwice(em, performanceIds);
  reports.push({
    invariant: '6. no seat is in two live bookings',
    violations: twice.map((s) => `performance ${s.offering_id} seat ${s.seat_id} in ${s.bookings} live bookings`),
  });

  const drift: string[] = [];
  const performances =
    performanceIds ?? (await knownPerformances(em, [...new Set([...(await engine.loadedPerformances()), ...twice.map((s) => s.offering_id)])]));
  for (const performanceId of performances) {
    try {
      drift.push(...(await engineDrift(em, engine, performanceId, scope.now ?? new Date())));
    } catch (error) {
      drift.push(`performance ${performanceId}: the hold engine's state cannot be read (${(error as Error).message})`);
    }
  }
  reports.push({
    invariant: "7. the hold engine's counters equal its cells; its sold and pending seats are the live bookings' seats",
    violations: drift,
  });

  const money = paymentViolations('booking', await bookingPayments(em, performanceIds));
  if (scope.staleBefore) {
    for (const b of await stalePendingBookings(em, scope.staleBefore, performanceIds)) {
      money.push(`booking ${b.id} is PENDING past its payment deadline`);
    }
  }
  reports.push({ invariant: '9. bookings: CONFIRMED only if paid; no money kept without one; refunds returned; no PENDING past its deadline', violations: money });
  return reports;
}

/** How the engine's state of one performance differs from itself and from PostgreSQL. */
async function engineDrift(em: EntityManager, engine: HoldEngine, performanceId: string, now: Date): Promise<string[]> {
  const at = now.getTime();
  const [cells, counts] = [await engine.cells(performanceId, at), await engine.counts(performanceId, at)];
  if (cells === 'not_loaded' || counts === 'not_loaded') return [];
  const drift: string[] = [];
  const counted: Record<string, SectionCounts> = {};
  for (const [seatId, cell] of cells) {
    const section = parseSeatId(seatId)?.section ?? '?';
    const c = (counted[section] ??= { held: 0, sold: 0, blocked: 0 });
    if (cell.state === 'held' || cell.state === 'pending') c.held++;
    else if (cell.state === 'sold') c.sold++;
    else c.blocked++;
  }
  for (const section of new Set([...Object.keys(counted), ...Object.keys(counts)])) {
    const want = counted[section] ?? { held: 0, sold: 0, blocked: 0 };
    const have = counts[section] ?? { held: 0, sold: 0, blocked: 0 };
    if (want.held !== have.held || want.sold !== have.sold || want.blocked !== have.blocked) {
      drift.push(`performance ${performanceId} section ${section}: counters ${JSON.stringify(have)}, cells ${JSON.stringify(want)}`);
    }
  }
  const live = new Map((await liveSeats(em, performanceId)).map((s) => [s.seat_id, s]));
  for (const [seatId, cell] of cells) {
    if (cell.state !== 'sold' && cell.state !== 'pending') continue;
    const seat = live.get(seatId);
    const expected = cell.state === 'sold' ? ReservationStatus.CONFIRMED : ReservationStatus.PENDING;
    if (!seat || seat.booking_id !== cell.bookingId || seat.status !== expected) {
      drift.push(`performance ${performanceId} seat ${seatId}: ${cell.state} for ${cell.bookingId} in the engine, ${seat ? `${seat.status} ${seat.booking_id}` : 'no live booking'} in PostgreSQL`);
    }
  }
  for (const [seatId, seat] of live) {
    const cell = cells.get(seatId);
    if (!cell || (cell.state !== 'sold' && cell.state !== 'pending')) {
      drift.push(`performance ${performanceId} seat ${seatId}: ${seat.status} booking ${seat.booking_id} in PostgreSQL, ${cell?.state ?? 'free'} in the engine`);
    }
  }
  return drift;
}
