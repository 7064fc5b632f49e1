import type { EntityManager } from '@mikro-orm/postgresql';
import { OfferingKind, OfferingStatus } from '../../../entities/venues/offering.js';
import type { Performance } from '../../../entities/venues/performance.entity.js';
import type { Caller } from '../../common/caller.js';
import { badInput, DomainError, ErrorCode, invalidState } from '../../common/errors.js';
import { bestAvailable } from '../seating/best-available.js';
import type { ChartIndex } from '../seating/chart-index.js';
import { onSeats } from '../seat-state.js';
import { MAX_HOLD_LIFETIME_MS, type VenueDeps } from '../venue.deps.js';
import type { HoldInfo, HoldResult, SeatRef } from './hold-engine.js';
import { newHoldToken, performanceOf } from './hold-token.js';
import { loadPerformance, priced, type PerformanceContext } from './performance-context.js';

/** A hold as its holder sees it. */
export interface HoldView {
  token: string;
  kind: OfferingKind;
  offeringId: string;
  expiresAt: Date;
  currency: string;
  items: HoldItemView[];
  totalMinor: number;
}

export interface HoldItemView {
  /** The seat id: stable within the hold, so releaseHold can name it. */
  id: string;
  seatId: string;
  startsAt: Date;
  endsAt: Date;
  quantity: number;
  priceMinor: number;
}

export interface HoldSeatsData {
  performanceId: string;
  seatIds: string[];
  holdToken?: string | null;
}

export interface HoldBestData {
  performanceId: string;
  quantity: number;
  categories?: string[] | null;
  sectionKeys?: string[] | null;
  adjacent?: boolean | null;
  accessible?: boolean | null;
  holdToken?: string | null;
}

/** Rounds of best-available against a fresh snapshot before answering SOLD_OUT: others may take the seats it saw free. */
const BEST_AVAILABLE_ROUNDS = 4;

export const holdExpired = () =>
  new DomainError(ErrorCode.HOLD_EXPIRED, 'This hold does not exist, has expired, or was released or checked out');

/**
 * Seat holds (VENUES.md): all or nothing, owned by the token's principal, expiring at a
 * deadline. The hold engine is the only check: nothing here reads seat states and then
 * decides, so two buyers can never both be told yes.
 */
export class HoldService {
  constructor(
    private readonly em: EntityManager,
    private readonly deps: VenueDeps,
  ) {}

  async holdSeats(caller: Caller, data: HoldSeatsData): Promise<HoldView> {
    const owner = caller.require().sub;
    const context = await this.forNewSeats(data.performanceId, data.holdToken);
    const ids = [...new Set(data.seatIds)];
    if (ids.length === 0) throw badInput('seatIds', 'name at least one seat');
    if (ids.length > context.performance.maxSeatsPerHold) {
      throw badInput('seatIds', `at most ${context.performance.maxSeatsPerHold} seats per hold`);
    }
    const { refs, unknown } = context.chart.refsFor(ids);
    if (unknown.length > 0) throw badInput('seatIds', `unknown seats: ${unknown.slice(0, 20).join(', ')}`);
    const result = await onSeats(this.em, this.deps, context.performance.id, () =>
      this.deps.engine.holdSeats(context.performance.id, {
        ...this.request(context, owner, data.holdToken),
        seats: refs.map((seat) => priced(context, seat)),
      }),
    );
    return this.answer(context, result);
  }

  async holdBestAvailable(caller: Caller, data: HoldBestData): Promise<HoldView> {
    const owner = caller.require().sub;
    const context = await this.forNewSeats(data.performanceId, data.holdToken);
    const { performance, chart } = context;
    if (!Number.isInteger(data.quantity) || data.quantity < 1 || data.quantity > performance.maxSeatsPerHold) {
      throw badInput('quantity', `must be 1 to ${performance.maxSeatsPerHold}`);
    }
    const categories = knownOnly('categories', data.categories, chart.categories);
    const sectionKeys = knownOnly('sectionKeys', data.sectionKeys, chart.sections.map((s) => s.key));
    const sections = chart.sections
      .filter((s) => (!sectionKeys || sectionKeys.includes(s.key)) && (!categories || categories.includes(s.category)))
      .map((s) => s.key);
    // Best category first: the dearest.
    const categoryRank = [...chart.categories].sort((a, b) => (performance.prices[b] ?? 0) - (performance.prices[a] ?? 0));
    const request = this.request(context, owner, data.holdToken);
    for (let round = 0; round < BEST_AVAILABLE_ROUNDS; round++) {
      const cells = await onSeats(this.em, this.deps, performance.id, () =>
        this.deps.engine.cells(performance.id, request.now, sections),
      );
      const candidates = bestAvailable(chart, (id) => cells.has(id), {
        quantity: data.quantity,
        categories,
        sectionKeys,
        adjacent: data.adjacent ?? true,
        accessible: data.accessible ?? false,
        categoryRank,
      });
      if (candidates.length === 0) break;
      const withPrices = candidates.map((c) => ({ ...c, seats: c.seats.map((seat) => priced(context, seat)) }));
      const result = await onSeats(this.em, this.deps, performance.id, () =>
        this.deps.engine.holdFirst(performance.id, { ...request, candidates: withPrices }),
      );
      if (result.ok || result.reason !== 'unavailable') return this.answer(context, result);
    }
    throw new DomainError(ErrorCode.SOLD_OUT, `No ${data.quantity} seats available as asked`, { unavailableSeatIds: [] });
  }

  async get(caller: Caller, token: string): Promise<HoldView | null> {
    const owner = caller.require().sub;
    const context = await this.forToken(token);
    if (!context) return null;
    const now = this.deps.clock.now().getTime();
    const hold = await onSeats(this.em, this.deps, context.performance.id, () =>
      this.deps.engine.getHold(context.performance.id, token, owner, now),
    );
    return hold ? view(context, hold) : null;
  }

  /** Moves the deadline to now + minutes, never past 120 minutes from the hold's creation. */
  async extend(caller: Caller, token: string, minutes: number): Promise<HoldView> {
    const owner = caller.require().sub;
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 120) throw badInput('minutes', 'must be 1 to 120');
    const context = await this.forToken(token);
    if (!context) throw holdExpired();
    const now = this.deps.clock.now().getTime();
    const { id } = context.performance;
    const hold = await onSeats(this.em, this.deps, id, () => this.deps.engine.getHold(id, token, owner, now));
    if (!hold) throw holdExpired();
    const expiresAt = now + minutes * 60_000;
    if (expiresAt > hold.createdAt + MAX_HOLD_LIFETIME_MS) {
      const latest = new Date(hold.createdAt + MAX_HOLD_LIFETIME_MS).toISOString();
      throw badInput('minutes', `a hold lasts at most 120 minutes from its creation (until ${latest})`);
    }
    const result = await onSeats(this.em, this.deps, id, () => this.deps.engine.extend(id, token, owner, now, expiresAt));
    return this.answer(context, result);
  }

  /** Releases some seats (item ids are seat ids) or the whole hold; null when nothing is left. */
  async release(caller: Caller, token: string, itemIds?: string[] | null): Promise<HoldView | null> {
    const owner = caller.require().sub;
    const context = await this.forToken(token);
    if (!context) throw holdExpired();
    const now = this.deps.clock.now().getTime();
    const { id } = context.performance;
    const result = await onSeats(this.em, this.deps, id, () =>
      this.deps.engine.release(id, token, owner, now, itemIds ?? undefined),
    );
    if (!result.ok) throw holdExpired();
    return result.hold ? view(context, result.hold) : null;
  }

  /** The performance a token names, or undefined for a token that names none. */
  private async forToken(token: string): Promise<PerformanceContext | undefined> {
    const performanceId = performanceOf(token);
    if (!performanceId) return undefined;
    return loadPerformance(this.em, this.deps, performanceId).catch((error: unknown) => {
      if (error instanceof DomainError && error.code === ErrorCode.NOT_FOUND) return undefined;
      throw error;
    });
  }

  /** The performance seats are about to be held on: on sale, and the token (if any) its own. */
  private async forNewSeats(performanceId: string, holdToken?: string | null): Promise<PerformanceContext> {
    const context = await loadPerformance(this.em, this.deps, performanceId);
    if (context.performance.status !== OfferingStatus.ON_SALE) throw invalidState('This performance is closed to new holds');
    if (context.performance.startsAt.getTime() <= this.deps.clock.now().getTime()) {
      throw invalidState('This performance has started');
    }
    if (holdToken != null && performanceOf(holdToken) !== context.performance.id) throw holdExpired();
    return context;
  }

  private request(context: PerformanceContext, owner: string, holdToken?: string | null) {
    const now = this.deps.clock.now().getTime();
    return {
      token: holdToken ?? newHoldToken(context.performance.id),
      owner,
      now,
      expiresAt: now + context.performance.holdMinutes * 60_000,
      existing: holdToken != null,
      maxSeats: context.performance.maxSeatsPerHold,
    };
  }

  private answer(context: PerformanceContext, result: HoldResult): HoldView {
    if (result.ok) return view(context, result.hold);
    switch (result.reason) {
      case 'unavailable':
        throw new DomainError(ErrorCode.SOLD_OUT, 'Some of these seats are not available', {
          unavailableSeatIds: result.seatIds,
        });
      case 'too_many':
        throw badInput('seatIds', `a hold has at most ${result.max} seats`);
      default:
        throw holdExpired();
    }
  }
}

function knownOnly(field: string, values: string[] | null | undefined, known: readonly string[]): string[] | null {
  if (values == null) return null;
  const unknown = values.filter((value) => !known.includes(value));
  if (unknown.length > 0) throw badInput(field, `unknown: ${unknown.join(', ')}`);
  return values;
}

/** The price of a seat: its category's at the time the seat was held (the engine keeps it). */
export function seatPrice(performance: Performance, chart: ChartIndex, seat: SeatRef): number {
  return seat.price ?? performance.prices[chart.seat(seat.id)!.category];
}

export function view({ performance, chart, currency }: PerformanceContext, hold: HoldInfo): HoldView {
  const items = hold.seats.map((seat) => ({
    id: seat.id,
    seatId: seat.id,
    startsAt: performance.startsAt,
    endsAt: performance.endsAt,
    quantity: 1,
    priceMinor: seatPrice(performance, chart, seat),
  }));
  return {
    token: hold.token,
    kind: OfferingKind.PERFORMANCE,
    offeringId: performance.id,
    expiresAt: new Date(hold.expiresAt),
    currency,
    items,
    totalMinor: items.reduce((sum, item) => sum + item.priceMinor, 0),
  };
}
