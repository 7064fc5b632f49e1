import {
  countedUnitId,
  guardSection,
  type Candidate,
  type CellState,
  type HoldEngine,
  type HoldInfo,
  type HoldRequest,
  type HoldResult,
  type LoadSnapshot,
  type Refusal,
  type SeatChangeEvent,
  type SeatRef,
  type SeatStatusName,
  type SectionCapacity,
  type SectionCounts,
} from './hold-engine.js';

const DEFAULT_EVENT_LOG_LENGTH = 10_000;
/** Event ids are zero-padded counters, so comparing them as strings orders them. */
const EVENT_ID_DIGITS = 16;
const NO_EVENT_ID = '0'.repeat(EVENT_ID_DIGITS);

const NOT_LOADED = { ok: false, reason: 'not_loaded' } as const;
const TOKEN = { ok: false, reason: 'token' } as const;

const KIND: Record<CellState['state'], keyof SectionCounts> = { held: 'held', pending: 'held', sold: 'sold', blocked: 'blocked' };
const STATUS: Record<CellState['state'], SeatStatusName> = { held: 'HELD', pending: 'HELD', sold: 'SOLD', blocked: 'BLOCKED' };

const statusOf = (cell: CellState | undefined): SeatStatusName => (cell ? STATUS[cell.state] : 'FREE');
const heldBy = (cell: CellState | undefined, token: string) => cell?.state === 'held' && cell.token === token;

interface Hold {
  token: string;
  owner: string;
  createdAt: number;
  expiresAt: number;
  /** seatId -> seat (with the price it was held at), in the order added (a Map keeps it). */
  seats: Map<string, SeatRef>;
}

/** The seats whose status one step changed, for its event (and sections whose capacity it set). */
class Change {
  readonly seats: { seatId: string; status: SeatStatusName }[] = [];
  readonly sections = new Set<string>();
}

const emptyCounts = (): SectionCounts => ({ held: 0, sold: 0, blocked: 0 });

/** A counted section's capacity, and its price when one is given. */
function setCapacity(counts: SectionCounts, { capacity, price }: SectionCapacity): void {
  counts.capacity = capacity;
  if (price !== undefined) counts.price = price;
}

/** One loaded performance, modelled as RedisHoldEngine's keys are. */
class PerformanceState {
  /** section -> seatId -> cell; FREE seats are absent. */
  private readonly cellsBySection = new Map<string, Map<string, CellState>>();
  readonly counts = new Map<string, SectionCounts>();
  readonly holds = new Map<string, Hold>();
  readonly events: SeatChangeEvent[] = [];

  cell(section: string, seatId: string): CellState | undefined {
    return this.cellsBySection.get(section)?.get(seatId);
  }

  sectionCells(section: string): Map<string, CellState> {
    return this.cellsBySection.get(section) ?? new Map();
  }

  sections(): string[] {
    return [...this.cellsBySection.keys()];
  }

  /** The only writer of cells: moves the counters with them and notes status changes. */
  setCell(change: Change, section: string, seatId: string, next: CellState | undefined): void {
    const previous = this.cell(section, seatId);
    const cells = this.cellsBySection.get(section) ?? new Map<string, CellState>();
    if (next) cells.set(seatId, next);
    else cells.delete(seatId);
    if (cells.size > 0) this.cellsBySection.set(section, cells);
    else this.cellsBySection.delete(section);

    const [from, to] = [previous && KIND[previous.state], next && KIND[next.state]];
    if (from !== to) {
      const counts = this.countsOf(section);
      if (from) counts[from] -= 1;
      if (to) counts[to] += 1;
    }
    const status = statusOf(next);
    if (statusOf(previous) !== status) {
      change.seats.push({ seatId, status });
      change.sections.add(section);
    }
  }

  /** The section's counters, created on first use. */
  countsOf(section: string): SectionCounts {
    let counts = this.counts.get(section);
    if (!counts) this.counts.set(section, (counts = emptyCounts()));
    return counts;
  }

  /** A hold of another owner answers as no hold: a token never tells whose it is. */
  ownedHold(token: string, owner: string): Hold | undefined {
    const hold = this.holds.get(token);
    return hold?.owner === owner ? hold : undefined;
  }

  /** Frees the cells the hold still holds and deletes it. */
  expireHold(change: Change, hold: Hold): void {
    for (const seat of hold.seats.values()) {
      if (heldBy(this.cell(seat.section, seat.id), hold.token)) this.setCell(change, seat.section, seat.id, undefined);
    }
    this.holds.delete(hold.token);
  }

  /** Every hold with deadline <= now, earliest first (as Redis's sorted set orders them). */
  purge(change: Change, now: number): void {
    const expired = [...this.holds.values()]
      .filter((hold) => hold.expiresAt <= now)
      .sort((a, b) => a.expiresAt - b.expiresAt || (a.token < b.token ? -1 : 1));
    for (const hold of expired) this.expireHold(change, hold);
  }

  nextDeadline(): number | null {
    let next: number | null = null;
    for (const hold of this.holds.values()) if (next === null || hold.expiresAt < next) next = hold.expiresAt;
    return next;
  }
}

function holdInfo(hold: Hold): HoldInfo {
  const seats = [...hold.seats.values()].map(heldSeat);
  return { token: hold.token, owner: hold.owner, createdAt: hold.createdAt, expiresAt: hold.expiresAt, seats };
}

/** The seat as a hold keeps it: id, section, and the price it was held at and its quantity, if given. */
function heldSeat({ id, section, price, quantity }: SeatRef): SeatRef {
  const seat: SeatRef = { id, section };
  if (price !== undefined) seat.price = price;
  if (quantity !== undefined) seat.quantity = quantity;
  return seat;
}

/** The seats without repeats, first listing first. */
function distinct(seats: SeatRef[]): SeatRef[] {
  return [...new Map(seats.map((seat) => [seat.id, seat] as const)).values()];
}

/**
 * The hold engine in this process, for one server without Redis: the same semantics as
 * RedisHoldEngine (one conformance suite runs against both). Every operation runs
 * synchronously once called, so each is atomic as a Redis script is.
 */
export class MemoryHoldEngine implements HoldEngine {
  private readonly performances = new Map<string, PerformanceState>();
  private readonly eventLogLength: number;
  /** Shared by all performances, so ids keep increasing across a drop and reload. */
  private lastEventNumber = 0;

  constructor(options: { eventLogLength?: number } = {}) {
    this.eventLogLength = options.eventLogLength ?? DEFAULT_EVENT_LOG_LENGTH;
  }

  async isLoaded(performanceId: string): Promise<boolean> {
    return this.performances.has(performanceId);
  }

  async load(performanceId: string, snapshot: LoadSnapshot): Promise<boolean> {
    if (this.performances.has(performanceId)) return false;
    const performance = new PerformanceState();
    const cells: [SeatRef, CellState][] = [
      ...snapshot.sold.map(({ seat, bookingId }) => [seat, { state: 'sold', bookingId }] as [SeatRef, CellState]),
      ...snapshot.pending.map(({ seat, bookingId }) => [seat, { state: 'pending', bookingId }] as [SeatRef, CellState]),
      ...snapshot.blocked.map((seat) => [seat, { state: 'blocked' }] as [SeatRef, CellState]),
    ];
    const loading = new Change(); // a load is no event
    for (const [seat, cell] of cells) {
      // A seat listed twice keeps its first cell.
      if (!performance.cell(seat.section, seat.id)) performance.setCell(loading, seat.section, seat.id, cell);
    }
    for (const set of snapshot.capacities ?? []) setCapacity(performance.countsOf(set.section), set);
    this.performances.set(performanceId, performance);
    return true;
  }

  async holdSeats(performanceId: string, request: HoldRequest & { seats: SeatRef[] }): Promise<HoldResult> {
    return this.hold(performanceId, request, [{ seats: request.seats, guards: [] }], true);
  }

  async holdFirst(performanceId: string, request: HoldRequest & { candidates: Candidate[] }): Promise<HoldResult & { chosen?: number }> {
    return this.hold(performanceId, request, request.candidates, false);
  }

  private hold(
    performanceId: string,
    request: HoldRequest,
    candidates: Candidate[],
    listUnavailable: boolean,
  ): HoldResult & { chosen?: number } {
    const { token, owner, now, existing, maxSeats } = request;
    const performance = this.purged(performanceId, now);
    if (!performance) return NOT_LOADED;
    let hold = performance.holds.get(token);
    if (existing ? hold?.owner !== owner : hold) return TOKEN;
    const held = hold?.seats.size ?? 0;
    const isFree = (seatId: string) => !performance.cell(guardSection(seatId), seatId);

    let tooMany = 0;
    let firstTaken: string[] | undefined;
    for (const [index, candidate] of candidates.entries()) {
      const seats = distinct(candidate.seats);
      const free = seats.filter((seat) => !performance.cell(seat.section, seat.id));
      const taken = seats.filter((seat) => {
        const cell = performance.cell(seat.section, seat.id);
        return cell && !heldBy(cell, token);
      });
      firstTaken ??= taken.map((seat) => seat.id);
      if (held + free.length + taken.length > maxSeats) {
        tooMany += 1;
        continue;
      }
      const guarded = candidate.guards.every(([lone, beyond]) => !(isFree(lone) && (beyond === null || !isFree(beyond))));
      if (seats.length === 0 || taken.length > 0 || !guarded) continue;

      const change = new Change();
      hold ??= { token, owner, createdAt: now, expiresAt: request.expiresAt, seats: new Map() };
      performance.holds.set(token, hold);
      for (const seat of free) {
        performance.setCell(change, seat.section, seat.id, { state: 'held', token });
        hold.seats.set(seat.id, heldSeat(seat));
      }
      return { ok: true, hold: holdInfo(hold), event: this.append(performanceId, performance, now, change), chosen: index };
    }
    if (candidates.length > 0 && tooMany === candidates.length) return { ok: false, reason: 'too_many', max: maxSeats };
    return { ok: false, reason: 'unavailable', seatIds: listUnavailable ? (firstTaken ?? []) : [] };
  }

  async holdQuantity(
    performanceId: string,
    request: HoldRequest & { section: string; quantity: number; price?: number },
  ): Promise<HoldResult> {
    const { token, owner, now, existing, maxSeats, section, quantity } = request;
    const performance = this.purged(performanceId, now);
    if (!performance) return NOT_LOADED;
    let hold = performance.holds.get(token);
    if (existing ? hold?.owner !== owner : hold) return TOKEN;
    if ((hold?.seats.size ?? 0) + quantity > maxSeats) return { ok: false, reason: 'too_many', max: maxSeats };
    const counts = performance.counts.get(section);
    if (quantity < 1 || counts?.capacity === undefined || counts.held + counts.sold + quantity > counts.capacity) {
      return { ok: false, reason: 'unavailable', seatIds: [] };
    }
    const change = new Change();
    hold ??= { token, owner, createdAt: now, expiresAt: request.expiresAt, seats: new Map() };
    performance.holds.set(token, hold);
    for (let n = 1, taken = 0; taken < quantity; n++) {
      const id = countedUnitId(section, n);
      if (performance.cell(section, id)) continue;
      performance.setCell(change, section, id, { state: 'held', token });
      hold.seats.set(id, heldSeat({ id, section, price: request.price }));
      taken += 1;
    }
    return { ok: true, hold: holdInfo(hold), event: this.append(performanceId, performance, now, change) };
  }

  async setCapacities(
    performanceId: string,
    capacities: SectionCapacity[],
    now: number,
  ): Promise<{ ok: true; event: SeatChangeEvent | null } | Refusal> {
    const performance = this.purged(performanceId, now);
    if (!performance) return NOT_LOADED;
    const over = capacities.filter(({ section, capacity }) => {
      const counts = performance.counts.get(section);
      return counts !== undefined && counts.held + counts.sold > capacity;
    });
    if (over.length > 0) return { ok: false, reason: 'unavailable', seatIds: over.map((c) => c.section) };
    const change = new Change();
    for (const set of capacities) {
      setCapacity(performance.countsOf(set.section), set);
      change.sections.add(set.section);
    }
    return { ok: true, event: this.append(performanceId, performance, now, change) };
  }

  async getHold(performanceId: string, token: string, owner: string, now: number): Promise<HoldInfo | null | 'not_loaded'> {
    const performance = this.purged(performanceId, now);
    if (!performance) return 'not_loaded';
    const hold = performance.ownedHold(token, owner);
    return hold ? holdInfo(hold) : null;
  }

  async extend(performanceId: string, token: string, owner: string, now: number, expiresAt: number): Promise<HoldResult> {
    const performance = this.purged(performanceId, now);
    if (!performance) return NOT_LOADED;
    const hold = performance.ownedHold(token, owner);
    if (!hold) return TOKEN;
    hold.expiresAt = expiresAt;
    return { ok: true, hold: holdInfo(hold), event: null };
  }

  async release(
    performanceId: string,
    token: string,
    owner: string,
    now: number,
    seatIds?: string[],
  ): Promise<{ ok: true; hold: HoldInfo | null; event: SeatChangeEvent | null } | Refusal> {
    const performance = this.purged(performanceId, now);
    if (!performance) return NOT_LOADED;
    const hold = performance.ownedHold(token, owner);
    if (!hold) return TOKEN;
    const listed = seatIds && new Set(seatIds);
    const change = new Change();
    for (const seat of [...hold.seats.values()]) {
      if (listed && !listed.has(seat.id)) continue;
      if (heldBy(performance.cell(seat.section, seat.id), token)) performance.setCell(change, seat.section, seat.id, undefined);
      hold.seats.delete(seat.id);
    }
    if (hold.seats.size === 0) performance.holds.delete(token);
    const event = this.append(performanceId, performance, now, change);
    return { ok: true, hold: hold.seats.size > 0 ? holdInfo(hold) : null, event };
  }

  async beginCheckout(
    performanceId: string,
    token: string,
    owner: string,
    now: number,
    bookingId: string,
  ): Promise<{ ok: true; hold: HoldInfo } | Refusal> {
    const performance = this.purged(performanceId, now);
    if (!performance) return NOT_LOADED;
    const hold = performance.ownedHold(token, owner);
    if (!hold) return TOKEN;
    const unchanged = new Change(); // held -> pending: still HELD, no event
    for (const seat of hold.seats.values()) {
      if (heldBy(performance.cell(seat.section, seat.id), token)) performance.setCell(unchanged, seat.section, seat.id, { state: 'pending', bookingId });
    }
    performance.holds.delete(token);
    return { ok: true, hold: holdInfo(hold) };
  }

  async abortCheckout(performanceId: string, hold: HoldInfo, bookingId: string, now: number): Promise<{ event: SeatChangeEvent | null }> {
    const performance = this.purged(performanceId, now);
    if (!performance) return { event: null };
    const expired = hold.expiresAt <= now;
    const change = new Change();
    const back = new Map<string, SeatRef>();
    for (const seat of distinct(hold.seats)) {
      const cell = performance.cell(seat.section, seat.id);
      if (cell?.state !== 'pending' || cell.bookingId !== bookingId) continue;
      if (expired) {
        performance.setCell(change, seat.section, seat.id, undefined);
      } else {
        performance.setCell(change, seat.section, seat.id, { state: 'held', token: hold.token });
        back.set(seat.id, heldSeat(seat));
      }
    }
    if (back.size > 0) performance.holds.set(hold.token, { ...hold, seats: back });
    return { event: this.append(performanceId, performance, now, change) };
  }

  async settle(
    performanceId: string,
    bookingId: string,
    seats: SeatRef[],
    outcome: 'sold' | 'free',
    now: number,
  ): Promise<{ ok: true; event: SeatChangeEvent | null; conflicts: string[] } | { ok: false; reason: 'not_loaded' }> {
    const performance = this.purged(performanceId, now);
    if (!performance) return NOT_LOADED;
    const change = new Change();
    const conflicts: string[] = [];
    for (const seat of distinct(seats)) {
      const cell = performance.cell(seat.section, seat.id);
      const ours = (cell?.state === 'pending' || cell?.state === 'sold') && cell.bookingId === bookingId;
      if (outcome === 'sold') {
        if (!cell || (ours && cell.state === 'pending')) performance.setCell(change, seat.section, seat.id, { state: 'sold', bookingId });
        else if (!ours) conflicts.push(seat.id);
      } else if (ours) {
        performance.setCell(change, seat.section, seat.id, undefined);
      } else if (cell) {
        conflicts.push(seat.id);
      }
    }
    return { ok: true, event: this.append(performanceId, performance, now, change), conflicts };
  }

  async block(
    performanceId: string,
    seats: SeatRef[],
    blocked: boolean,
    now: number,
  ): Promise<{ ok: true; event: SeatChangeEvent | null } | Refusal> {
    const performance = this.purged(performanceId, now);
    if (!performance) return NOT_LOADED;
    const unique = distinct(seats);
    const unavailable = unique.filter((seat) => {
      const cell = performance.cell(seat.section, seat.id);
      return blocked ? cell !== undefined : cell?.state !== 'blocked';
    });
    if (unavailable.length > 0) return { ok: false, reason: 'unavailable', seatIds: unavailable.map((seat) => seat.id) };
    const change = new Change();
    for (const seat of unique) performance.setCell(change, seat.section, seat.id, blocked ? { state: 'blocked' } : undefined);
    return { ok: true, event: this.append(performanceId, performance, now, change) };
  }

  async cells(performanceId: string, now: number, sections?: string[]): Promise<Map<string, CellState> | 'not_loaded'> {
    const performance = this.purged(performanceId, now);
    if (!performance) return 'not_loaded';
    const cells = new Map<string, CellState>();
    for (const section of sections ?? performance.sections()) {
      for (const [seatId, cell] of performance.sectionCells(section)) cells.set(seatId, { ...cell });
    }
    return cells;
  }

  async counts(performanceId: string, now: number): Promise<Record<string, SectionCounts> | 'not_loaded'> {
    const performance = this.purged(performanceId, now);
    if (!performance) return 'not_loaded';
    return Object.fromEntries([...performance.counts].map(([section, counts]) => [section, { ...counts }]));
  }

  async purge(performanceId: string, now: number): Promise<{ events: SeatChangeEvent[]; nextDeadline: number | null }> {
    const performance = this.performances.get(performanceId);
    if (!performance) return { events: [], nextDeadline: null };
    const event = this.purgeExpired(performanceId, performance, now);
    return { events: event ? [event] : [], nextDeadline: performance.nextDeadline() };
  }

  async reap(now: number): Promise<SeatChangeEvent[]> {
    const events: SeatChangeEvent[] = [];
    for (const [performanceId, performance] of this.performances) {
      const event = this.purgeExpired(performanceId, performance, now);
      if (event) events.push(event);
    }
    return events;
  }

  async readEvents(performanceId: string, afterId: string | null, limit: number): Promise<{ events: SeatChangeEvent[]; lastId: string }> {
    const log = this.performances.get(performanceId)?.events ?? [];
    if (afterId === null) return { events: [], lastId: log.at(-1)?.eventId ?? NO_EVENT_ID };
    const start = log.findIndex((event) => event.eventId > afterId);
    const events = start < 0 ? [] : log.slice(start, start + limit);
    return { events, lastId: events.at(-1)?.eventId ?? afterId };
  }

  async loadedPerformances(): Promise<string[]> {
    return [...this.performances.keys()];
  }

  async close(): Promise<void> {
    // Nothing to release: no timers, no connections.
  }

  async drop(performanceId: string): Promise<void> {
    this.performances.delete(performanceId);
  }

  /** The loaded performance with its expired holds purged first, as every operation starts. */
  private purged(performanceId: string, now: number): PerformanceState | undefined {
    const performance = this.performances.get(performanceId);
    if (performance) this.purgeExpired(performanceId, performance, now);
    return performance;
  }

  private purgeExpired(performanceId: string, performance: PerformanceState, now: number): SeatChangeEvent | null {
    const change = new Change();
    performance.purge(change, now);
    return this.append(performanceId, performance, now, change);
  }

  /** Appends the change's event (with the touched sections' counts) unless nothing changed. */
  private append(performanceId: string, performance: PerformanceState, now: number, change: Change): SeatChangeEvent | null {
    if (change.seats.length === 0 && change.sections.size === 0) return null;
    const sections: Record<string, SectionCounts> = {};
    for (const section of change.sections) sections[section] = { ...performance.counts.get(section)! };
    this.lastEventNumber += 1;
    const eventId = String(this.lastEventNumber).padStart(EVENT_ID_DIGITS, '0');
    const event: SeatChangeEvent = { eventId, performanceId, at: now, seats: change.seats, sections };
    performance.events.push(event);
    if (performance.events.length > this.eventLogLength) performance.events.splice(0, performance.events.length - this.eventLogLength);
    return event;
  }
}
