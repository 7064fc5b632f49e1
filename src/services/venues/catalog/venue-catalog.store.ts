import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';
import { column, pgArray, query, sql } from '../../common/sql.js';

/** One page of a venue's performances: starting in [from, to), after a (startsAt, id) key, by start then id. */
export interface PerformancePageQuery {
  from: Date | null;
  to: Date | null;
  after: { startsAt: Date; id: string } | null;
  limit: number;
}

/**
 * The ids of one page of performances for each of several venues, in one statement
 * (Venue.performances on a list of venues): a lateral subquery per venue walks the
 * (venue_id, starts_at, id) index and stops at the page's end.
 */
export function performancePages(em: EntityManager, venueIds: readonly string[], page: PerformancePageQuery) {
  const from = page.from ? sql` and p.starts_at >= ${page.from.toISOString()}::timestamptz` : sql``;
  const to = page.to ? sql` and p.starts_at < ${page.to.toISOString()}::timestamptz` : sql``;
  const after = page.after
    ? sql` and (p.starts_at, p.id) > (${page.after.startsAt.toISOString()}::timestamptz, ${page.after.id}::uuid)`
    : sql``;
  return query(
    em,
    'venues.performancePages',
    sql`select page.venue_id, page.id from unnest(${pgArray(venueIds)}::uuid[]) as v(id)
         cross join lateral (
           select p.venue_id, p.id, p.starts_at from performance p
            where p.venue_id = v.id${from}${to}${after}
            order by p.starts_at, p.id limit ${page.limit}
         ) page
         order by page.venue_id, page.starts_at, page.id`,
    z.object({ venue_id: column.uuid, id: column.uuid }),
  );
}
