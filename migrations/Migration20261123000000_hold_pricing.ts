import { Migration } from '@mikro-orm/migrations';

/**
 * The base rates and pricing rules of a room type's dates, read with a snapshot of their
 * own, for the hold (services/booking/booking.store.ts, `holdStay`): the one statement
 * that locks a stay's nights, prices it and writes it.
 *
 * Why a function: under READ COMMITTED a statement reads every table as of its start,
 * and only the rows it locks are re-read as of the moment it gets them. The hold waits
 * for the nights' locks (a hot room type has a queue); a change of rates or rules that
 * committed while it waited (those take the same locks first, `touchInventory`) would
 * be invisible to a plain read in the same statement, and the stay would be priced at
 * the old rates. A VOLATILE function runs each of its queries with a new snapshot: the
 * hold calls it once its locks are held, by passing it a value computed from the locked
 * rows (`after`, otherwise unused), and so reads exactly the rates and rules in force
 * when it got the locks, which cannot change before it commits.
 */
export class Migration20261123000000_hold_pricing extends Migration {
  override async up(): Promise<void> {
    // PL/pgSQL rather than SQL: it keeps its plan for the session (a SQL function plans its query on every call).
    this.addSql(`create function stays_fresh_pricing(p_room_type_id uuid, p_from date, p_to date, after bigint)
returns table (kind text, date date, amount_minor bigint, min_occupancy_percent smallint, adjustment_percent smallint)
language plpgsql volatile
as $$
#variable_conflict use_column
begin
  return query
    select 'rate'::text, r.date, r.amount_minor, null::smallint, null::smallint
      from room_type_rate r where r.room_type_id = p_room_type_id and r.date >= p_from and r.date < p_to
    union all
    select 'rule'::text, null::date, null::bigint, p.min_occupancy_percent, p.adjustment_percent
      from pricing_rule p where p.room_type_id = p_room_type_id;
end
$$;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop function stays_fresh_pricing(uuid, date, date, bigint);`);
  }
}
