import type { EntityManager } from '@mikro-orm/postgresql';
import { badInput, DomainError, ErrorCode } from '../../common/errors.js';
import type { SeatChangeEvent } from '../holds/hold-engine.js';
import { loadPerformance } from '../holds/offering-context.js';
import type { PerformanceContext } from '../holds/performance-context.js';
import type { VenueDeps } from '../venue.deps.js';
import type { SeatFeed } from './seat-feed.js';

/** Live seat status is public: anyone may watch a performance, once its id and sections check out. */
export class SeatLiveService {
  constructor(
    private readonly em: EntityManager,
    private readonly deps: VenueDeps,
    private readonly feed: SeatFeed,
  ) {}

  async seats(
    performanceId: string,
    sectionKeys: string[] | null,
  ): Promise<{ context: PerformanceContext; events: AsyncIterableIterator<SeatChangeEvent> }> {
    const context = await loadPerformance(this.em, this.deps, performanceId);
    const known = new Set(context.chart.sections.map((section) => section.key));
    const unknown = (sectionKeys ?? []).filter((key) => !known.has(key));
    if (unknown.length > 0) throw badInput('sectionKeys', `unknown: ${unknown.join(', ')}`);
    try {
      return { context, events: await this.feed.subscribe(context.performance.id, sectionKeys) };
    } catch {
      // The engine's event log cannot be read (Redis unreachable): the client may retry.
      throw new DomainError(ErrorCode.BUSY, 'Live seat changes are briefly unavailable: retry shortly');
    }
  }
}
