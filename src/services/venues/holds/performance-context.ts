import type { EntityManager } from '@mikro-orm/postgresql';
import { OfferingKind } from '../../../entities/venues/offering.js';
import { Performance } from '../../../entities/venues/performance.entity.js';
import type { ChartIndex } from '../seating/chart-index.js';
import type { VenueDeps } from '../venue.deps.js';
import type { HoldInfo, SeatRef } from './hold-engine.js';
import type { HeldItem, OfferingContext } from './offering-context.js';

/** A performance with what every seat operation needs of it: its chart's index. */
export interface PerformanceContext extends OfferingContext {
  kind: OfferingKind.PERFORMANCE;
  performance: Performance;
  chart: ChartIndex;
}

export async function readPerformanceContext(em: EntityManager, deps: VenueDeps, id: string): Promise<PerformanceContext | null> {
  const performance = await em.findOne(Performance, id, { populate: ['venue'] });
  if (!performance) return null;
  const chart = await deps.charts.get(em, performance.seatingChart.id);
  const venue = performance.venue.getEntity();
  const seatItem = (seat: SeatRef): HeldItem => ({
    id: seat.id,
    seatId: seat.id,
    timeSlotId: null,
    tableId: null,
    startsAt: performance.startsAt,
    endsAt: performance.endsAt,
    quantity: 1,
    priceMinor: seat.price ?? performance.prices[chart.seat(seat.id)!.category],
    units: [seat],
  });
  return {
    kind: OfferingKind.PERFORMANCE,
    id: performance.id,
    venueId: venue.id,
    currency: venue.currency,
    title: performance.title,
    status: performance.status,
    holdMinutes: performance.holdMinutes,
    maxUnitsPerHold: performance.maxSeatsPerHold,
    detailsSchema: performance.detailsSchema,
    performance,
    chart,
    // A seat's price is its category's at the time it was held (the engine keeps it).
    items: async (hold: HoldInfo) => hold.seats.map(seatItem),
  };
}

/** The seat with the price it is held at now: its category's. */
export function priced({ performance, chart }: PerformanceContext, seat: SeatRef): SeatRef {
  return { ...seat, price: performance.prices[chart.seat(seat.id)!.category] };
}
