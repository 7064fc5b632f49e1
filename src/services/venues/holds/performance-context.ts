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

export async function loadPerformance(em: EntityManager, deps: VenueDeps, performanceId: string): Promise<PerformanceContext> {
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
