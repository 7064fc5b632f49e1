import type { EntityManager } from '@mikro-orm/postgresql';

interface NightRow {
  room_type_id: string;
  date: string;
  reserved: number;
  sell_limit: number;
  held: string;
}

interface MoneyRow {
  id: string;
  status: string;
  total_minor: string;
  refund_due: boolean;
  charge: string | null;
  amount_minor: string | null;
  refunded_minor: string | null;
}

/**
 * The invariants of ARCHITECTURE.md that the database can show (1, 3 and 4), for the
 * given hotels or all that have reservations. Returns the violations found, empty when
 * all hold. Tests run it after every concurrent and fault test, the benchmark after
 * every scenario. Invariant 3 is read against the built-in test gateway's ledger.
 */
export async function auditInvariants(
  em: EntityManager,
  scope: { hotelIds?: readonly string[]; now?: Date } = {},
): Promise<string[]> {
  const problems: string[] = [];
  const hotelIds = scope.hotelIds ?? [];
  // No hotels given: every hotel that has reservations.
  const hotels = scope.hotelIds
    ? hotelIds.map(() => '?').join(', ') || 'null'
    : 'select distinct hotel_id from reservation';
  // 1. 0 <= reserved <= sell_limit, and reserved = rooms of PENDING/CONFIRMED reservations on that night.
  const nights = await em.execute<NightRow[]>(
    `select i.room_type_id, i.date::text as date, i.reserved, i.sell_limit, coalesce(sum(r.rooms), 0) as held
       from room_type_inventory i
       left join reservation r on r.room_type_id = i.room_type_id and r.status in ('PENDING', 'CONFIRMED')
            and r.check_in <= i.date and r.check_out > i.date
      where i.hotel_id in (${hotels})
      group by i.room_type_id, i.date, i.reserved, i.sell_limit
     having i.reserved <> coalesce(sum(r.rooms), 0) or i.reserved < 0 or i.reserved > i.sell_limit`,
    [...hotelIds],
  );
  for (const n of nights) {
    problems.push(`night ${n.room_type_id} ${n.date}: reserved ${n.reserved}, held ${n.held}, limit ${n.sell_limit}`);
  }
  // 3. CONFIRMED only if paid (and not refunded); money taken is never kept without a CONFIRMED reservation.
  const money = await em.execute<MoneyRow[]>(
    `select r.id, r.status, r.total_minor, r.refund_due, c.status as charge, c.amount_minor, c.refunded_minor
       from reservation r left join test_gateway_charge c on c.idempotency_key = r.id::text
      where r.hotel_id in (${hotels})`,
    [...hotelIds],
  );
  for (const r of money) {
    const paid = r.charge === 'succeeded' && Number(r.refunded_minor) === 0;
    if (r.status === 'CONFIRMED' && !paid) problems.push(`reservation ${r.id} CONFIRMED without a payment`);
    if (paid && r.status !== 'CONFIRMED' && r.status !== 'PENDING') {
      problems.push(`reservation ${r.id} ${r.status} kept its payment`);
    }
    if (r.charge === 'succeeded' && Number(r.amount_minor) !== Number(r.total_minor)) {
      problems.push(`reservation ${r.id} charged ${r.amount_minor}, priced ${r.total_minor}`);
    }
    if (r.status === 'REFUNDED' && !r.refund_due && Number(r.refunded_minor) !== Number(r.amount_minor)) {
      problems.push(`reservation ${r.id} REFUNDED but the money was not returned`);
    }
  }
  // 4. No PENDING hold outlives hold_expires_at (callers pass `now` minus one sweep interval).
  if (scope.now) {
    const stale = await em.execute<{ id: string }[]>(
      `select id from reservation where status = 'PENDING' and hold_expires_at < ? and hotel_id in (${hotels})`,
      [scope.now, ...hotelIds],
    );
    for (const r of stale) problems.push(`reservation ${r.id} is PENDING past its hold`);
  }
  return problems;
}
