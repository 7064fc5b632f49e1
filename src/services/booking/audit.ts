import type { EntityManager } from '@mikro-orm/postgresql';
import { ReservationStatus } from '../../entities/booking/reservation.entity.js';
import { inventoryMismatches, keysWithForeignEffects, reservationPayments, staleHolds } from './booking.store.js';

/** One invariant of ARCHITECTURE.md and what breaks it (empty: it holds). */
export interface InvariantReport {
  invariant: string;
  violations: string[];
}

export interface AuditScope {
  /** The hotels to check; by default every hotel that has reservations. */
  hotelIds?: readonly string[];
  /** Invariant 4 is checked as of this time (callers pass now minus one sweep interval); skipped without it. */
  staleBefore?: Date;
}

/**
 * The invariants of ARCHITECTURE.md that the database can show (1 to 4; 5 is about
 * delivery and is checked by the live tests). Tests run it after every concurrent and
 * fault test, the benchmark after every scenario, operators with `npm run audit`.
 * Invariant 3 is read against the built-in test gateway's ledger.
 */
export async function auditInvariants(em: EntityManager, scope: AuditScope = {}): Promise<InvariantReport[]> {
  const { hotelIds } = scope;
  const reports: InvariantReport[] = [];

  const nights = await inventoryMismatches(em, hotelIds);
  reports.push({
    invariant: '1. 0 <= reserved <= sell_limit, and reserved = rooms of PENDING and CONFIRMED reservations',
    violations: nights.map(
      (n) => `inventory ${n.room_type_id} ${n.date}: reserved ${n.reserved}, held ${n.held}, limit ${n.sell_limit}`,
    ),
  });

  const keys = await keysWithForeignEffects(em, hotelIds);
  reports.push({
    invariant: "2. an idempotency key's effect is one reservation of its own principal",
    violations: keys.map((k) => `key ${k.principal}/${k.key} points at reservation ${k.reservation_id}, not its own`),
  });

  const money = paymentViolations('reservation', await reservationPayments(em, hotelIds));
  reports.push({
    invariant: '3. CONFIRMED only if paid; money taken is never kept without a CONFIRMED reservation',
    violations: money,
  });

  if (scope.staleBefore) {
    const stale = await staleHolds(em, scope.staleBefore, hotelIds);
    reports.push({
      invariant: '4. no PENDING hold outlives its deadline by more than one sweep interval',
      violations: stale.map((r) => `reservation ${r.id} is PENDING past its hold`),
    });
  }
  return reports;
}

/** What invariant 3 needs of a reservation or a booking: its status and price, and what the test gateway did with its charge. */
export interface PaymentRow {
  id: string;
  status: ReservationStatus;
  total_minor: number;
  refund_due: boolean;
  charge: 'succeeded' | 'declined' | null;
  amount_minor: number | null;
  refunded_minor: number | null;
}

/**
 * Invariant 3 over records of one kind: CONFIRMED only if paid (or free: the saga charges
 * nothing for a zero total), money taken never kept otherwise, charged what was priced,
 * refunds returned.
 */
export function paymentViolations(kind: 'reservation' | 'booking', rows: readonly PaymentRow[]): string[] {
  const money: string[] = [];
  for (const r of rows) {
    const paid = r.charge === 'succeeded' && r.refunded_minor === 0;
    if (r.status === ReservationStatus.CONFIRMED && !paid && r.total_minor !== 0) money.push(`${kind} ${r.id} CONFIRMED without a payment`);
    if (paid && r.status !== ReservationStatus.CONFIRMED && r.status !== ReservationStatus.PENDING) {
      money.push(`${kind} ${r.id} ${r.status} kept its payment`);
    }
    if (r.charge === 'succeeded' && r.amount_minor !== r.total_minor) {
      money.push(`${kind} ${r.id} charged ${r.amount_minor}, priced ${r.total_minor}`);
    }
    if (r.status === ReservationStatus.REFUNDED && !r.refund_due && r.refunded_minor !== r.amount_minor) {
      money.push(`${kind} ${r.id} REFUNDED but the money was not returned`);
    }
  }
  return money;
}

/** Every violation of the audit, one line each; empty when all invariants hold. */
export async function invariantViolations(em: EntityManager, scope: AuditScope = {}): Promise<string[]> {
  return (await auditInvariants(em, scope)).flatMap((report) => report.violations);
}
