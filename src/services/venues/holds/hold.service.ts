import type { EntityManager } from '@mikro-orm/postgresql';
import { OfferingKind, OfferingStatus } from '../../../entities/venues/offering.js';
import type { Caller } from '../../common/caller.js';
import { todayIn } from '../../common/dates.js';
import { badInput, DomainError, ErrorCode, invalidState, notFound } from '../../common/errors.js';
import { integer } from '../../common/validation.js';
import type { RestaurantContext } from '../dining/restaurant-context.js';
import { seatingCandidates, seatingStarts, tablesFor } from '../dining/seatings.js';
import { bestAvailable } from '../seating/best-available.js';
import { onSeats } from '../seat-state.js';
import type { ExhibitionContext } from '../timed-entry/exhibition-context.js';
import { MAX_HOLD_LIFETIME_MS, type VenueDeps } from '../venue.deps.js';
import type { HoldInfo, HoldRequest, HoldResult } from './hold-engine.js';
import { newHoldToken, offeringOf } from './hold-token.js';
import { loadOffering, loadPerformance, totalOf, type HoldItemView, type OfferingContext } from './offering-context.js';
import { priced, type PerformanceContext } from './performance-context.js';

export type { HoldItemView };

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

export interface HoldTimedEntryData {
  timeSlotId: string;
  quantity: number;
  holdToken?: string | null;
}

export interface HoldTableData {
  restaurantId: string;
  startsAt: Date;
  partySize: number;
  holdToken?: string | null;
}

/** What a hold past its size is told, per kind (the engine counts cells: seats, tickets, a table's 5 minutes). */
const TOO_MANY: Record<OfferingKind, (max: number) => string> = {
  PERFORMANCE: (max) => `a hold has at most ${max} seats`,
  EXHIBITION: (max) => `a hold has at most ${max} tickets`,
  RESTAURANT: () => 'a hold has at most four seatings of a full day',
};

/** Rounds of best-available against a fresh snapshot before answering SOLD_OUT: others may take the seats it saw free. */
const BEST_AVAILABLE_ROUNDS = 4;

export const holdExpired = () =>
  new DomainError(ErrorCode.HOLD_EXPIRED, 'This hold does not exist, has expired, or was released or checked out');

/**
 * Holds (VENUES.md): all or nothing, owned by the token's principal, expiring at a
 * deadline, for every kind of offering: seats of a performance, tickets of an
 * exhibition's time slot, a restaurant table for one seating. The hold engine is the
 * only check: nothing here reads states and then decides, so two buyers can never both
 * be told yes. Reading, extending and releasing a hold are the same for every kind.
 */
export class HoldService {
  constructor(
    private readonly em: EntityManager,
    private readonly deps: VenueDeps,
  ) {}

  // ---- seats ----

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
    const result = await onSeats(this.em, this.deps, context.id, () =>
      this.deps.engine.holdSeats(context.id, {
        ...this.request(context, owner, data.holdToken),
        seats: refs.map((seat) => priced(context, seat)),
      }),
    );
    return this.answer(context, result, 'seatIds', 'Some of these seats are not available');
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
      if (result.ok || result.reason !== 'unavailable') return this.answer(context, result, 'quantity', 'No seats available as asked');
    }
    throw new DomainError(ErrorCode.SOLD_OUT, `No ${data.quantity} seats available as asked`, { unavailableSeatIds: [] });
  }

  // ---- timed entry ----

  /** N tickets of one time slot, all or none (SOLD_OUT when fewer are left); with holdToken, added to that hold. */
  async holdTimedEntry(caller: Caller, data: HoldTimedEntryData): Promise<HoldView> {
    const owner = caller.require().sub;
    const exhibitionId = await this.deps.offerings.exhibitionOfSlot(this.em, data.timeSlotId);
    if (!exhibitionId) throw notFound('TimeSlot', data.timeSlotId);
    const context = (await this.forNewHold(exhibitionId, data.holdToken, OfferingKind.EXHIBITION)) as ExhibitionContext;
    const slot = await context.slot(data.timeSlotId);
    if (!slot) throw notFound('TimeSlot', data.timeSlotId);
    const quantity = integer('quantity', data.quantity, 1, context.maxUnitsPerHold);
    if (slot.endsAt.getTime() <= this.deps.clock.now().getTime()) throw invalidState('This time slot is over');
    const result = await onSeats(this.em, this.deps, context.id, () =>
      this.deps.engine.holdQuantity(context.id, {
        ...this.request(context, owner, data.holdToken),
        section: slot.id,
        quantity,
        price: slot.priceMinor,
      }),
    );
    return this.answer(context, result, 'quantity', `Fewer than ${quantity} tickets are left for this time slot`);
  }

  // ---- restaurant tables ----

  /**
   * A table for a party at one of the date's seatings: the smallest free table that
   * fits, for the whole turn (the engine takes the first fitting table whose cells are
   * all free, so two seatings of a table never overlap). SOLD_OUT when none is free.
   */
  async holdTable(caller: Caller, data: HoldTableData): Promise<HoldView> {
    const owner = caller.require().sub;
    const context = (await this.forNewHold(data.restaurantId, data.holdToken, OfferingKind.RESTAURANT)) as RestaurantContext;
    const { restaurant } = context;
    const partySize = integer('partySize', data.partySize, 1, restaurant.maxPartySize);
    const date = todayIn(context.timezone, data.startsAt);
    const seating = seatingStarts(restaurant, date, context.timezone).find((at) => at.getTime() === data.startsAt.getTime());
    if (!seating) throw badInput('startsAt', `not a seating of ${restaurant.name} on ${date}`);
    if (seating.getTime() <= this.deps.clock.now().getTime()) throw invalidState('This seating has started');
    const tables = tablesFor(context.tables, partySize);
    if (tables.length === 0) throw new DomainError(ErrorCode.SOLD_OUT, `No table for ${partySize} at this restaurant`);
    const party = { size: partySize, depositMinor: partySize * restaurant.depositPerCoverMinor };
    const result = await onSeats(this.em, this.deps, context.id, () =>
      this.deps.engine.holdFirst(context.id, {
        ...this.request(context, owner, data.holdToken),
        candidates: seatingCandidates(tables, seating, restaurant.turnMinutes, date, party),
      }),
    );
    return this.answer(context, result, 'partySize', `No table for ${partySize} is free for this seating`);
  }

  // ---- any hold ----

  async get(caller: Caller, token: string): Promise<HoldView | null> {
    const owner = caller.require().sub;
    const context = await this.forToken(token);
    if (!context) return null;
    const now = this.deps.clock.now().getTime();
    const hold = await onSeats(this.em, this.deps, context.id, () => this.deps.engine.getHold(context.id, token, owner, now));
    return hold ? holdView(context, hold) : null;
  }

  /** Moves the deadline to now + minutes, never past 120 minutes from the hold's creation. */
  async extend(caller: Caller, token: string, minutes: number): Promise<HoldView> {
    const owner = caller.require().sub;
    if (!Number.isInteger(minutes) || minutes < 1 || minutes > 120) throw badInput('minutes', 'must be 1 to 120');
    const context = await this.forToken(token);
    if (!context) throw holdExpired();
    const now = this.deps.clock.now().getTime();
    const { id } = context;
    const hold = await onSeats(this.em, this.deps, id, () => this.deps.engine.getHold(id, token, owner, now));
    if (!hold) throw holdExpired();
    const expiresAt = now + minutes * 60_000;
    if (expiresAt > hold.createdAt + MAX_HOLD_LIFETIME_MS) {
      const latest = new Date(hold.createdAt + MAX_HOLD_LIFETIME_MS).toISOString();
      throw badInput('minutes', `a hold lasts at most 120 minutes from its creation (until ${latest})`);
    }
    const result = await onSeats(this.em, this.deps, id, () => this.deps.engine.extend(id, token, owner, now, expiresAt));
    return this.answer(context, result, 'minutes', 'This hold cannot be extended');
  }

  /** Releases some items (by their ids: seat, slot or seating) or the whole hold; null when nothing is left. */
  async release(caller: Caller, token: string, itemIds?: string[] | null): Promise<HoldView | null> {
    const owner = caller.require().sub;
    const context = await this.forToken(token);
    if (!context) throw holdExpired();
    const now = this.deps.clock.now().getTime();
    const { id } = context;
    let cells: string[] | undefined;
    if (itemIds != null) {
      // Items stand for engine cells (a slot for its tickets, a seating for its table's cells).
      const hold = await onSeats(this.em, this.deps, id, () => this.deps.engine.getHold(id, token, owner, now));
      if (!hold) throw holdExpired();
      const named = new Set(itemIds);
      cells = (await context.items(hold)).filter((item) => named.has(item.id)).flatMap((item) => item.units.map((u) => u.id));
    }
    const result = await onSeats(this.em, this.deps, id, () => this.deps.engine.release(id, token, owner, now, cells));
    if (!result.ok) throw holdExpired();
    return result.hold ? holdView(context, result.hold) : null;
  }

  /** The offering a token names, or undefined for a token that names none. */
  private async forToken(token: string): Promise<OfferingContext | undefined> {
    const offeringId = offeringOf(token);
    if (!offeringId) return undefined;
    return loadOffering(this.em, this.deps, offeringId).catch((error: unknown) => {
      if (error instanceof DomainError && error.code === ErrorCode.NOT_FOUND) return undefined;
      throw error;
    });
  }

  /** The performance seats are about to be held on: on sale, not started, and the token (if any) its own. */
  private async forNewSeats(performanceId: string, holdToken?: string | null): Promise<PerformanceContext> {
    const context = await loadPerformance(this.em, this.deps, performanceId);
    this.assertOpen(context, holdToken);
    if (context.performance.startsAt.getTime() <= this.deps.clock.now().getTime()) {
      throw invalidState('This performance has started');
    }
    return context;
  }

  /** An exhibition or restaurant about to be held on: on sale, and the token (if any) its own. */
  private async forNewHold(offeringId: string, holdToken: string | null | undefined, kind: OfferingKind): Promise<OfferingContext> {
    const context = await loadOffering(this.em, this.deps, offeringId).catch(() => undefined);
    if (!context || context.kind !== kind) throw notFound(kind === OfferingKind.RESTAURANT ? 'Restaurant' : 'Exhibition', offeringId);
    this.assertOpen(context, holdToken);
    return context;
  }

  private assertOpen(context: OfferingContext, holdToken?: string | null): void {
    if (context.status !== OfferingStatus.ON_SALE) throw invalidState(`This ${context.kind.toLowerCase()} is closed to new holds`);
    if (holdToken != null && offeringOf(holdToken) !== context.id) throw holdExpired();
  }

  private request(context: OfferingContext, owner: string, holdToken?: string | null): HoldRequest {
    const now = this.deps.clock.now().getTime();
    return {
      token: holdToken ?? newHoldToken(context.id),
      owner,
      now,
      expiresAt: now + context.holdMinutes * 60_000,
      existing: holdToken != null,
      maxSeats: context.maxUnitsPerHold,
    };
  }

  private async answer(context: OfferingContext, result: HoldResult, field: string, soldOut: string): Promise<HoldView> {
    if (result.ok) return holdView(context, result.hold);
    switch (result.reason) {
      case 'unavailable':
        throw new DomainError(ErrorCode.SOLD_OUT, soldOut, { unavailableSeatIds: result.seatIds });
      case 'too_many':
        throw badInput(field, TOO_MANY[context.kind](result.max));
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

/** The hold as its holder sees it: its items and what checkout will charge. */
export async function holdView(context: OfferingContext, hold: HoldInfo): Promise<HoldView> {
  const items = (await context.items(hold)).map(({ units: _units, ...item }) => item);
  return {
    token: hold.token,
    kind: context.kind,
    offeringId: context.id,
    expiresAt: new Date(hold.expiresAt),
    currency: context.currency,
    items,
    totalMinor: totalOf(items),
  };
}
