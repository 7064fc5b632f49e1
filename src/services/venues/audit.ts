import type { EntityManager } from '@mikro-orm/postgresql';
import { ReservationStatus } from '../../entities/booking/reservation.entity.js';
import { paymentViolations, type InvariantReport } from '../booking/audit.js';
import {
  bookingPayments,
  knownOfferings,
  liveCells,
  slotsOverCapacity,
  stalePendingBookings,
  unitsSoldTwice,
} from './bookings/booking.store.js';
import type { HoldEngine, SectionCounts } from './holds/hold-engine.js';

export interface VenueAuditScope {
  /** The offerings to check; by default every one with bookings or with state in the hold engine. */
  offeringIds?: readonly string[];
  /** PENDING bookings are checked against this deadline (now minus one sweep interval); skipped without it. */
  staleBefore?: Date;
  /** The time the engine is read at (expired holds are purged first). */
  now?: Date;
}

/**
 * The venue invariants of VENUES.md that PostgreSQL and the hold engine can show, for
 * every kind of offering: 6 (no seat, ticket or table cell in two live bookings; per
 * time slot, live tickets <= capacity), 7 (the engine's counters equal its cells, and
 * its sold and pending cells are exactly the live bookings' cells), and 9 (money:
 * invariant 3 for bookings; a PENDING booking never outlives its payment deadline by a
 * sweep). An offering whose state the engine lost is skipped for 7: it is rebuilt from
 * PostgreSQL before its next use; so is one the engine has but this database does not
 * (a Redis shared by several databases, as in tests).
 */
export async function auditVenueInvariants(
  em: EntityManager,
  engine: HoldEngine,
  scope: VenueAuditScope = {},
): Promise<InvariantReport[]> {
  const { offeringIds } = scope;
  const reports: InvariantReport[] = [];

  const twice = await unitsSoldTwice(em, offeringIds);
  const over = await slotsOverCapacity(em, offeringIds);
  reports.push({
    invariant: '6. no seat, ticket or table is in two live bookings; no time slot sells past its capacity',
    violations: [
      ...twice.map((s) => `offering ${s.offering_id} unit ${s.unit_id} in ${s.bookings} live bookings`),
      ...over.map((s) => `time slot ${s.id}: ${s.sold} tickets live, capacity ${s.capacity}`),
    ],
  });

  const drift: string[] = [];
  const offerings =
    offeringIds ?? (await knownOfferings(em, [...new Set([...(await engine.loadedPerformances()), ...twice.map((s) => s.offering_id)])]));
  for (const offeringId of offerings) {
    try {
      drift.push(...(await engineDrift(em, engine, offeringId, scope.now ?? new Date())));
    } catch (error) {
      drift.push(`offering ${offeringId}: the hold engine's state cannot be read (${(error as Error).message})`);
    }
  }
  reports.push({
    invariant: "7. the hold engine's counters equal its cells; its sold and pending cells are the live bookings' cells",
    violations: drift,
  });

  const money = paymentViolations('booking', await bookingPayments(em, offeringIds));
  if (scope.staleBefore) {
    for (const b of await stalePendingBookings(em, scope.staleBefore, offeringIds)) {
      money.push(`booking ${b.id} is PENDING past its payment deadline`);
    }
  }
  reports.push({ invariant: '9. bookings: CONFIRMED only if paid; no money kept without one; refunds returned; no PENDING past its deadline', violations: money });
  return reports;
}

/** How the engine's state of one offering differs from itself and from PostgreSQL. */
async function engineDrift(em: EntityManager, engine: HoldEngine, offeringId: string, now: Date): Promise<string[]> {
  const at = now.getTime();
  const counts = await engine.counts(offeringId, at);
  const cells = await engine.cells(offeringId, at);
  if (cells === 'not_loaded' || counts === 'not_loaded') return [];
  const drift: string[] = [];
  // Recounted section by section: only the engine knows a cell's section (a seat's, a slot's, a date's).
  let inSections = 0;
  for (const [section, have] of Object.entries(counts)) {
    const sectionCells = await engine.cells(offeringId, at, [section]);
    if (sectionCells === 'not_loaded') return [];
    inSections += sectionCells.size;
    const want: SectionCounts = { held: 0, sold: 0, blocked: 0 };
    for (const cell of sectionCells.values()) {
      if (cell.state === 'held' || cell.state === 'pending') want.held++;
      else if (cell.state === 'sold') want.sold++;
      else want.blocked++;
    }
    if (want.held !== have.held || want.sold !== have.sold || want.blocked !== have.blocked) {
      drift.push(`offering ${offeringId} section ${section}: counters ${JSON.stringify(have)}, cells ${JSON.stringify(want)}`);
    }
  }
  if (inSections !== cells.size) drift.push(`offering ${offeringId}: ${cells.size} cells, ${inSections} in counted sections`);
  const live = new Map((await liveCells(em, offeringId)).map((c) => [c.unit_id, c]));
  for (const [unitId, cell] of cells) {
    if (cell.state !== 'sold' && cell.state !== 'pending') continue;
    const recorded = live.get(unitId);
    const expected = cell.state === 'sold' ? ReservationStatus.CONFIRMED : ReservationStatus.PENDING;
    if (!recorded || recorded.booking_id !== cell.bookingId || recorded.status !== expected) {
      drift.push(
        `offering ${offeringId} unit ${unitId}: ${cell.state} for ${cell.bookingId} in the engine, ${recorded ? `${recorded.status} ${recorded.booking_id}` : 'no live booking'} in PostgreSQL`,
      );
    }
  }
  for (const [unitId, recorded] of live) {
    const cell = cells.get(unitId);
    if (!cell || (cell.state !== 'sold' && cell.state !== 'pending')) {
      drift.push(`offering ${offeringId} unit ${unitId}: ${recorded.status} booking ${recorded.booking_id} in PostgreSQL, ${cell?.state ?? 'free'} in the engine`);
    }
  }
  return drift;
}
