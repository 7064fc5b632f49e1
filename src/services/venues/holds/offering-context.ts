import type { EntityManager } from '@mikro-orm/postgresql';
import { isId } from '../../../entities/id.js';
import { OfferingKind, type OfferingStatus } from '../../../entities/venues/offering.js';
import { notFound } from '../../common/errors.js';
import { z } from 'zod';
import { column, query, sql } from '../../common/sql.js';
import type { DetailsSchema } from '../details.js';
import { readRestaurantContext } from '../dining/restaurant-context.js';
import { readExhibitionContext } from '../timed-entry/exhibition-context.js';
import type { VenueDeps } from '../venue.deps.js';
import type { HoldInfo, SeatRef } from './hold-engine.js';
import { readPerformanceContext, type PerformanceContext } from './performance-context.js';

/** One item of a hold as its holder sees it: a seat, N tickets of a time slot, or a table for one seating. */
export interface HoldItemView {
  /** Stable within the hold, so releaseHold can name it: the seat id, the slot id, or `<tableId>@<start>`. */
  id: string;
  seatId: string | null;
  timeSlotId: string | null;
  tableId: string | null;
  startsAt: Date;
  endsAt: Date;
  /** 1 per seat; tickets for a time slot; covers for a table. */
  quantity: number;
  priceMinor: number;
}

/** An item with the hold-engine cells it stands for (what checkout records and settles). */
export interface HeldItem extends HoldItemView {
  units: SeatRef[];
}

/** What a hold's items cost together: what checkout charges. */
export const totalOf = (items: readonly HoldItemView[]): number => items.reduce((sum, item) => sum + item.priceMinor, 0);

/**
 * What the hold, checkout and booking paths need of any offering (a performance, an
 * exhibition, a restaurant): one interface, so those paths are written once. Each kind
 * builds its context in its own module; this one finds the kind of an id and caches.
 */
export interface OfferingContext {
  kind: OfferingKind;
  id: string;
  venueId: string;
  currency: string;
  title: string;
  status: OfferingStatus;
  holdMinutes: number;
  /** The most engine cells one hold may contain (seats, tickets, a table's 5-minute cells). */
  maxUnitsPerHold: number;
  detailsSchema: DetailsSchema | null;
  /** The hold's items with their cells, in the order they were held. */
  items(hold: HoldInfo): Promise<HeldItem[]>;
}

/**
 * Offerings as the hold path reads them, kept for `ttlMs` per server: a hold is one
 * Redis script, and reading the offering from PostgreSQL on every one was more than
 * half of the server's CPU (bench/RESULTS.md). A change made on this server is seen at
 * once (`forget`); one made on another server within `ttlMs` (closing to new holds, a
 * new price). Checkout reads afresh. The entities are loaded in a context of their own
 * and only read.
 */
export class OfferingCache {
  private readonly entries = new Map<string, { context: Promise<OfferingContext>; until: number }>();
  /** Time slot -> its exhibition: a slot never moves, so this is kept for good (bounded). */
  private readonly slotOwners = new Map<string, string>();

  constructor(
    private readonly ttlMs = 1_000,
    private readonly capacity = 1_000,
  ) {}

  get(em: EntityManager, deps: VenueDeps, id: string): Promise<OfferingContext> {
    const now = Date.now();
    const cached = this.entries.get(id);
    if (cached && cached.until > now) return cached.context;
    const context = readOffering(em.fork(), deps, id);
    this.entries.set(id, { context, until: now + this.ttlMs });
    context.catch(() => this.entries.delete(id));
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return context;
  }

  /** The exhibition a time slot belongs to, or undefined when there is no such slot. */
  async exhibitionOfSlot(em: EntityManager, slotId: string): Promise<string | undefined> {
    const known = this.slotOwners.get(slotId);
    if (known) return known;
    if (!isId(slotId)) return undefined;
    const rows = await query(
      em.fork(),
      'venues.exhibitionOfSlot',
      sql`select exhibition_id from time_slot where id = ${slotId}::uuid`,
      z.object({ exhibition_id: column.uuid }),
    );
    const owner = rows[0]?.exhibition_id;
    if (owner) {
      this.slotOwners.set(slotId, owner);
      if (this.slotOwners.size > 100 * this.capacity) this.slotOwners.delete(this.slotOwners.keys().next().value!);
    }
    return owner;
  }

  /** Drops an offering this server just changed. */
  forget(id: string): void {
    this.entries.delete(id);
  }
}

/** How each kind's context is read. */
const readers: Record<OfferingKind, (em: EntityManager, deps: VenueDeps, id: string) => Promise<OfferingContext | null>> = {
  PERFORMANCE: readPerformanceContext,
  EXHIBITION: readExhibitionContext,
  RESTAURANT: readRestaurantContext,
};

/** The offering as of now (`fresh`), or as the hold path's cache has it (at most its TTL old). NOT_FOUND when there is none. */
export function loadOffering(
  em: EntityManager,
  deps: VenueDeps,
  id: string,
  { fresh = false }: { fresh?: boolean } = {},
): Promise<OfferingContext> {
  return fresh ? readOffering(em, deps, id) : deps.offerings.get(em, deps, id);
}

/** The performance (from the offerings cache unless `fresh`), or NOT_FOUND when the id names none. */
export async function loadPerformance(
  em: EntityManager,
  deps: VenueDeps,
  performanceId: string,
  options: { fresh?: boolean } = {},
): Promise<PerformanceContext> {
  const context = await loadOffering(em, deps, performanceId, options).catch(() => undefined);
  if (context?.kind !== OfferingKind.PERFORMANCE) throw notFound('Performance', performanceId);
  return context as PerformanceContext;
}

async function readOffering(em: EntityManager, deps: VenueDeps, id: string): Promise<OfferingContext> {
  const kind = isId(id) ? await offeringKind(em, id) : undefined;
  const context = kind ? await readers[kind](em, deps, id) : null;
  if (!context) throw notFound('Offering', id);
  return context;
}

/** Which table an offering id is in: one statement for the three. */
async function offeringKind(em: EntityManager, id: string): Promise<OfferingKind | undefined> {
  const rows = await query(
    em,
    'venues.offeringKind',
    sql`select 'PERFORMANCE' as kind from performance where id = ${id}::uuid
        union all select 'EXHIBITION' from exhibition where id = ${id}::uuid
        union all select 'RESTAURANT' from restaurant where id = ${id}::uuid`,
    z.object({ kind: column.text }),
  );
  return rows[0]?.kind as OfferingKind | undefined;
}
