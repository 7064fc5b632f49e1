import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Performance } from '../../entities/venues/performance.entity.js';
import { SeatBlock } from '../../entities/venues/seat-block.entity.js';
import type { Caller } from '../common/caller.js';
import { badInput, DomainError, ErrorCode } from '../common/errors.js';
import type { CellState, SeatRef, SeatStatusName, SectionCounts } from './holds/hold-engine.js';
import { loadPerformance } from './holds/offering-context.js';
import { onSeats } from './seat-state.js';
import type { ChartIndex, SectionSummary } from './seating/chart-index.js';
import type { VenueDeps } from './venue.deps.js';

/** One seat's status (the contract's SeatState). Plain objects: a seat map may have 200,000. */
export interface SeatStateView {
  seatId: string;
  status: SeatStatusName;
}

export interface SectionAvailabilityView {
  key: string;
  name: string;
  category: string;
  capacity: number;
  held: number;
  sold: number;
  blocked: number;
  /** capacity - held - sold - blocked: the section's FREE seats. */
  available: number;
  priceMinor: number;
  currency: string;
}

export interface SeatFilter {
  /** Only these sections (unknown keys: BAD_USER_INPUT). */
  sectionKeys?: readonly string[] | null;
  /** Only seats with this status. */
  status?: SeatStatusName | null;
}

export interface BlockSeatsData {
  performanceId: string;
  seatIds: readonly string[];
  /** true: take out of sale (FREE seats only); false: back on sale (blocked seats only). */
  blocked: boolean;
}

/** Seats one blockSeats call may name. */
export const MAX_BLOCK_SEATS = 10_000;

const STATUS_OF_CELL: Record<CellState['state'], SeatStatusName> = {
  held: 'HELD',
  pending: 'HELD',
  sold: 'SOLD',
  blocked: 'BLOCKED',
};

const NO_COUNTS: SectionCounts = { held: 0, sold: 0, blocked: 0 };

/** A section of the chart with the engine's counts of it (none: every seat FREE) and its price. */
export function sectionAvailability(
  section: SectionSummary,
  counts: SectionCounts | undefined,
  priceMinor: number,
  currency: string,
): SectionAvailabilityView {
  const { held, sold, blocked } = counts ?? NO_COUNTS;
  return {
    key: section.key,
    name: section.name,
    category: section.category,
    capacity: section.seatCount,
    held,
    sold,
    blocked,
    available: section.seatCount - held - sold - blocked,
    priceMinor,
    currency,
  };
}

/**
 * A performance's seats as the hold engine has them: per-section counts, per-seat
 * statuses, and staff blocking seats out of sale. Reads are public. Section counts and
 * seat statuses come from the engine's counters and cells, which change in the same
 * atomic steps, so `available` always equals the FREE seats of the seat list.
 */
export class SeatMapService {
  /** One counts read per performance per operation, however many fields ask. */
  private readonly countsRead = new Map<string, Promise<Record<string, SectionCounts>>>();

  constructor(
    private readonly em: EntityManager,
    private readonly deps: VenueDeps,
  ) {}

  async sections(performance: Performance): Promise<SectionAvailabilityView[]> {
    const [chart, counts, venue] = await Promise.all([
      this.chartOf(performance),
      this.counts(performance.id),
      performance.venue.loadOrFail({ dataloader: true }),
    ]);
    return chart.sections.map((section) =>
      sectionAvailability(section, counts[section.key], performance.prices[section.category], venue.currency),
    );
  }

  /** FREE seats of the whole performance. */
  async available(performance: Performance): Promise<number> {
    const [chart, counts] = await Promise.all([this.chartOf(performance), this.counts(performance.id)]);
    return chart.sections.reduce((sum, section) => {
      const { held, sold, blocked } = counts[section.key] ?? NO_COUNTS;
      return sum + section.seatCount - held - sold - blocked;
    }, 0);
  }

  /**
   * Every seat of the chart (or of some sections) with its status, in chart order.
   * Seats the engine has no cell for are FREE; the engine reads only the sections asked for.
   */
  async seats(performance: Performance, filter: SeatFilter = {}): Promise<SeatStateView[]> {
    const chart = await this.chartOf(performance);
    const sectionKeys = filter.sectionKeys == null ? undefined : [...new Set(filter.sectionKeys)];
    if (sectionKeys) {
      const known = new Set(chart.sections.map((section) => section.key));
      const unknown = sectionKeys.filter((key) => !known.has(key));
      if (unknown.length > 0) throw badInput('sectionKeys', `unknown sections: ${unknown.join(', ')}`);
      if (sectionKeys.length === 0) return [];
    }
    const now = this.deps.clock.now().getTime();
    const cells = await onSeats(this.em, this.deps, performance.id, () =>
      this.deps.engine.cells(performance.id, now, sectionKeys),
    );
    const wanted = filter.status ?? null;
    const seats: SeatStateView[] = [];
    for (const seatId of chart.seatIdsOf(sectionKeys)) {
      const cell = cells.get(seatId);
      const status = cell === undefined ? 'FREE' : STATUS_OF_CELL[cell.state];
      if (wanted === null || status === wanted) seats.push({ seatId, status });
    }
    return seats;
  }

  /**
   * Takes seats out of sale or puts them back, all or none, for staff of the venue or an
   * admin. The engine decides (blocking only FREE seats, unblocking only blocked ones);
   * seat_block in PostgreSQL is the record a lost engine is rebuilt from, written in a
   * transaction that holds the performance's row lock, so two calls on one performance
   * cannot interleave their engine step and their record. Should the record fail, the
   * engine step is undone. Answers the seats' new states, in the order given.
   */
  async blockSeats(caller: Caller, data: BlockSeatsData): Promise<SeatStateView[]> {
    caller.require();
    const { performance, chart, venueId } = await loadPerformance(this.em, this.deps, data.performanceId, { fresh: true });
    caller.requireVenueManager(venueId);
    const seats = this.knownSeats(chart, data.seatIds);
    const status: SeatStatusName = data.blocked ? 'BLOCKED' : 'FREE';
    await this.recordWithEngine(performance.id, seats, data.blocked);
    return seats.map((seat) => ({ seatId: seat.id, status }));
  }

  private knownSeats(chart: ChartIndex, seatIds: readonly string[]): SeatRef[] {
    if (seatIds.length === 0) throw badInput('seatIds', 'name at least one seat');
    if (seatIds.length > MAX_BLOCK_SEATS) throw badInput('seatIds', `at most ${MAX_BLOCK_SEATS} seats per call`);
    const { refs, unknown } = chart.refsFor(seatIds);
    if (unknown.length > 0) {
      throw new DomainError(ErrorCode.BAD_USER_INPUT, `seatIds: not seats of this chart: ${unknown.slice(0, 20).join(', ')}`, {
        field: 'seatIds',
        unknownSeatIds: unknown,
      });
    }
    return refs;
  }

  private async recordWithEngine(performanceId: string, seats: SeatRef[], blocked: boolean): Promise<void> {
    // Rebuilt first, if the engine lost it: the rebuild reads PostgreSQL outside the
    // transaction below, which the embedded database (one connection) would never answer.
    await this.counts(performanceId);
    let engineChanged = false;
    try {
      await this.em.fork().transactional(async (tx) => {
        await tx.findOneOrFail(Performance, performanceId, { lockMode: LockMode.PESSIMISTIC_WRITE, fields: ['id'] });
        const seatIds = seats.map((seat) => seat.id);
        if (blocked) {
          await this.engineBlock(performanceId, seats, true);
          engineChanged = true;
          // A row already there (left by an undo that failed) is the record agreeing: keep it.
          await tx
            .createQueryBuilder(SeatBlock)
            .insert(seatIds.map((seatId) => ({ performanceId, seatId })))
            .onConflict(['performanceId', 'seatId'])
            .ignore()
            .execute();
        } else {
          await tx.nativeDelete(SeatBlock, { performanceId, seatId: { $in: seatIds } });
          await this.engineBlock(performanceId, seats, false);
          engineChanged = true;
        }
      });
    } catch (error) {
      if (engineChanged) await this.undoEngineStep(performanceId, seats, blocked, error);
      throw error;
    }
  }

  private async engineBlock(performanceId: string, seats: SeatRef[], blocked: boolean): Promise<void> {
    const now = this.deps.clock.now().getTime();
    const result = await onSeats(this.em, this.deps, performanceId, () =>
      this.deps.engine.block(performanceId, seats, blocked, now),
    );
    if (result.ok) return;
    if (result.reason === 'unavailable') {
      const message = blocked ? 'Only FREE seats can be blocked' : 'Only blocked seats can be unblocked';
      throw new DomainError(ErrorCode.INVALID_STATE, `${message}: nothing changed`, {
        unavailableSeatIds: result.seatIds,
      });
    }
    throw new DomainError(ErrorCode.INVALID_STATE, 'The seats could not be changed: nothing changed');
  }

  /** The record could not be written: the engine goes back to what the record says. */
  private async undoEngineStep(performanceId: string, seats: SeatRef[], blocked: boolean, cause: unknown) {
    try {
      await this.engineBlock(performanceId, seats, !blocked);
    } catch (undoError) {
      // The engine now disagrees with PostgreSQL until the reconciler or a rebuild mends it.
      this.deps.logger.error(
        { err: undoError, cause, performanceId, seats: seats.length, blocked },
        'could not undo a seat block after its record failed',
      );
    }
  }

  private chartOf(performance: Performance): Promise<ChartIndex> {
    return this.deps.charts.get(this.em.fork(), performance.seatingChart.id);
  }

  private counts(performanceId: string): Promise<Record<string, SectionCounts>> {
    let read = this.countsRead.get(performanceId);
    if (!read) {
      const now = this.deps.clock.now().getTime();
      read = onSeats(this.em, this.deps, performanceId, () => this.deps.engine.counts(performanceId, now));
      this.countsRead.set(performanceId, read);
    }
    return read;
  }
}
