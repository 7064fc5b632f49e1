import type { EntityManager } from '@mikro-orm/postgresql';
import { isId } from '../../../entities/id.js';
import { Performance } from '../../../entities/venues/performance.entity.js';
import { notFound } from '../../common/errors.js';
import type { ChartIndex } from '../seating/chart-index.js';
import type { VenueDeps } from '../venue.deps.js';
import type { SeatRef } from './hold-engine.js';

/** A performance with what every seat operation needs of it: its chart's index and its currency. */
export interface PerformanceContext {
  performance: Performance;
  chart: ChartIndex;
  currency: string;
  venueId: string;
}

/**
 * Performances as the hold path reads them, kept for `ttlMs` per server: a hold is one
 * Redis script, and reading the performance from PostgreSQL on every one was more than
 * half of the server's CPU (bench/RESULTS.md). A change made on this server is seen at
 * once (`forget`); one made on another server within `ttlMs` (closing to new holds, a
 * new price). Checkout reads afresh. The entities are loaded in a context of their own
 * and only read.
 */
export class PerformanceCache {
  private readonly entries = new Map<string, { context: Promise<PerformanceContext>; until: number }>();

  constructor(
    private readonly ttlMs = 1_000,
    private readonly capacity = 1_000,
  ) {}

  get(em: EntityManager, deps: VenueDeps, performanceId: string): Promise<PerformanceContext> {
    const now = Date.now();
    const cached = this.entries.get(performanceId);
    if (cached && cached.until > now) return cached.context;
    const context = readPerformance(em.fork(), deps, performanceId);
    this.entries.set(performanceId, { context, until: now + this.ttlMs });
    context.catch(() => this.entries.delete(performanceId));
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return context;
  }

  /** Drops a performance this server just changed. */
  forget(performanceId: string): void {
    this.entries.delete(performanceId);
  }
}

/** The performance as of now (`fresh`), or as the hold path's cache has it (at most its TTL old). */
export function loadPerformance(
  em: EntityManager,
  deps: VenueDeps,
  performanceId: string,
  { fresh = false }: { fresh?: boolean } = {},
): Promise<PerformanceContext> {
  return fresh ? readPerformance(em, deps, performanceId) : deps.performances.get(em, deps, performanceId);
}

async function readPerformance(em: EntityManager, deps: VenueDeps, performanceId: string): Promise<PerformanceContext> {
  const performance = isId(performanceId)
    ? await em.findOne(Performance, performanceId, { populate: ['venue'] })
    : null;
  if (!performance) throw notFound('Performance', performanceId);
  const chart = await deps.charts.get(em, performance.seatingChart.id);
  const venue = performance.venue.getEntity();
  return { performance, chart, currency: venue.currency, venueId: venue.id };
}

/** The seat with the price it is held at now: its category's. */
export function priced({ performance, chart }: PerformanceContext, seat: SeatRef): SeatRef {
  return { ...seat, price: performance.prices[chart.seat(seat.id)!.category] };
}
