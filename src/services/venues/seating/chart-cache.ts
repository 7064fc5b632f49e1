import type { EntityManager } from '@mikro-orm/postgresql';
import { SeatingChart } from '../../../entities/venues/seating-chart.entity.js';
import { notFound } from '../../common/errors.js';
import { ChartIndex } from './chart-index.js';

/**
 * The seat index of each chart, built once per server: a chart never changes after it
 * is created, so an index can be kept as long as there is room. Least recently used
 * indexes are dropped past `capacity`.
 */
export class ChartCache {
  private readonly indexes = new Map<string, ChartIndex>();

  constructor(private readonly capacity = 64) {}

  async get(em: EntityManager, chartId: string): Promise<ChartIndex> {
    const cached = this.indexes.get(chartId);
    if (cached) {
      this.indexes.delete(chartId);
      this.indexes.set(chartId, cached);
      return cached;
    }
    const chart = await em.findOne(SeatingChart, chartId, { fields: ['layout'] });
    if (!chart) throw notFound('SeatingChart', chartId);
    return this.put(chartId, new ChartIndex(chart.layout));
  }

  /** Keeps the index of a chart just created, so its first performance does not rebuild it. */
  put(chartId: string, index: ChartIndex): ChartIndex {
    this.indexes.set(chartId, index);
    while (this.indexes.size > this.capacity) this.indexes.delete(this.indexes.keys().next().value!);
    return index;
  }
}
