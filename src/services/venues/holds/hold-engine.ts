/**
 * The hold engine: where seats are held, checked out, sold and blocked (VENUES.md,
 * "Holds live in Redis"). Two implementations with the same semantics, proven by one
 * conformance suite (test/venues/hold-engine.conformance.test.ts):
 *   - RedisHoldEngine (src/infra/venues/redis-hold-engine.ts): one Lua script per
 *     operation over keys that share the hash tag `{perf:<performanceId>}`, so every
 *     script touches one Redis Cluster slot;
 *   - MemoryHoldEngine (./memory-hold-engine.ts): in-process, for one instance without Redis.
 *
 * The engine knows units only as ids with their section (SeatRef); the chart, prices and
 * rules (closed performances, categories) are the caller's. Its vocabulary is the seat
 * map's, but a "seat" is any unit one cell stands for and a "performance" any offering
 * whose keys share one hash tag: the seats of a performance (sections of the chart), or
 * the tickets of an exhibition (one section per time slot, with a capacity: see
 * `holdQuantity` and `setCapacities`). Times are epoch milliseconds
 * passed in by the caller (the domain's clock), never read inside the engine.
 *
 * A cell (one seat of one performance) is FREE (absent), held by a token, pending
 * (a checkout whose payment runs, no expiry), sold, or blocked. Per-section counters
 * (held, sold, blocked; pending counts as held) change only in the same atomic step that
 * changes cells, so they always equal the cells they count (invariant 7).
 *
 * Expiry is lazy: every operation on a performance first purges its tokens whose
 * deadline is <= now (cells back to FREE, counters down, an event), and `reap` does the
 * same for performances nobody touches.
 *
 * State may vanish (Redis restarted empty). Every operation except `load` and
 * `isLoaded` answers `{ ok: false, reason: 'not_loaded' }` (reads: `'not_loaded'`) until
 * `load` has been called for that performance; the caller then rebuilds the state from
 * PostgreSQL with `load` and retries. (`purge` finds nothing to purge, `abortCheckout`
 * changes nothing, `readEvents` reads whatever log there is.)
 */

import { parseSeatId } from '../seating/layout.js';

export interface SeatRef {
  /** `<sectionKey>-<rowLabel>-<number>` */
  id: string;
  section: string;
  /**
   * The seat's price in minor units when it is held: the engine keeps it with the hold
   * and gives it back in HoldInfo.seats, so a later price change does not touch holds.
   */
  price?: number;
  /**
   * What the unit counts for when it is not 1, kept with the hold like the price: a
   * table's party size, on the first cell of its seating.
   */
  quantity?: number;
}

export type SeatStatusName = 'FREE' | 'HELD' | 'SOLD' | 'BLOCKED';

/** What one cell holds, for reads and the reconciler. */
export type CellState =
  | { state: 'held'; token: string }
  | { state: 'pending'; bookingId: string }
  | { state: 'sold'; bookingId: string }
  | { state: 'blocked' };

export interface SectionCounts {
  held: number;
  sold: number;
  blocked: number;
  /** Sections of counted units (an exhibition's time slots): held + sold never exceeds it. */
  capacity?: number;
  /**
   * The price a counted section's units are sold at now, kept with the capacity so an
   * event of a change says it (the engine only carries it: holds are priced by the caller).
   */
  price?: number;
}

export interface HoldInfo {
  token: string;
  /** The principal (`sub`) that owns the hold. */
  owner: string;
  createdAt: number;
  expiresAt: number;
  /** In the order they were added. */
  seats: SeatRef[];
}

/** One committed change of seat statuses, with the counts of the touched sections after it. */
export interface SeatChangeEvent {
  /** Unique per performance, increasing within it (the Redis stream entry id, or a counter). */
  eventId: string;
  performanceId: string;
  /** Epoch ms of the change (the `now` of the operation). */
  at: number;
  seats: { seatId: string; status: SeatStatusName }[];
  sections: Record<string, SectionCounts>;
}

/** The state to rebuild a performance from (PostgreSQL's record): everything but holds. */
export interface LoadSnapshot {
  sold: { seat: SeatRef; bookingId: string }[];
  pending: { seat: SeatRef; bookingId: string }[];
  blocked: SeatRef[];
  /** The capacities of counted sections (time slots). */
  capacities?: SectionCapacity[];
}

export interface SectionCapacity {
  section: string;
  capacity: number;
  price?: number;
}

/** The cell id of the `n`-th unit (1-based) of a counted section: `<section>#<n>`. */
export function countedUnitId(section: string, n: number): string {
  return `${section}#${n}`;
}

export type Refusal =
  | { ok: false; reason: 'not_loaded' }
  /** Some seats are not FREE (not held by this same token either): nothing changed. */
  | { ok: false; reason: 'unavailable'; seatIds: string[] }
  /** The token is unknown, expired, checked out, or another owner's. */
  | { ok: false; reason: 'token' }
  /** The hold would exceed maxSeats. */
  | { ok: false; reason: 'too_many'; max: number };

export type HoldResult = { ok: true; hold: HoldInfo; event: SeatChangeEvent | null } | Refusal;

export interface HoldRequest {
  token: string;
  owner: string;
  now: number;
  /** Deadline of a new hold (ignored when adding to an existing one: it keeps its own). */
  expiresAt: number;
  /** Adding to an existing hold (the token must exist, be the owner's and unexpired), or a new one. */
  existing: boolean;
  maxSeats: number;
}

/**
 * One choice of best-available seats. `guards` say which FREE seats this choice must
 * not strand: a guard [a, b] is violated when seat `a` is FREE and `b` is null or not
 * FREE (taking the block would leave `a` as a lone free seat). Guard seats are named by
 * id alone; engines find their section with `guardSection`.
 */
export interface Candidate {
  seats: SeatRef[];
  guards: [string, string | null][];
}

/**
 * The section of a guard's seat, from its id (`<sectionKey>-<rowLabel>-<number>`): both
 * engines look a guard up through this one function, so they cannot disagree on it.
 */
export function guardSection(seatId: string): string {
  const parsed = parseSeatId(seatId);
  if (!parsed) throw new Error(`guard names no seat id: ${seatId}`);
  return parsed.section;
}

export interface HoldEngine {
  isLoaded(performanceId: string): Promise<boolean>;
  /**
   * Sets the performance's cells and counters from the snapshot and marks it loaded, in
   * one step, unless it is loaded already (then nothing changes). Answers whether it loaded.
   */
  load(performanceId: string, snapshot: LoadSnapshot): Promise<boolean>;

  /**
   * Holds all of `seats` or none: `unavailable` names the ones that are not FREE. Seats
   * already in this same hold (`existing`) are kept as they are, not refused. `too_many`
   * (checked first) when the hold would then have more than `maxSeats` seats; an empty
   * `seats` is `unavailable` with no seat ids. A new hold (`existing: false`) whose token
   * is in use is refused with `token`.
   */
  holdSeats(performanceId: string, request: HoldRequest & { seats: SeatRef[] }): Promise<HoldResult>;
  /**
   * Holds the first candidate (in the given order) whose seats are all FREE (or in this
   * same hold) and whose guards all hold; `chosen` is its index. Candidates that would take
   * the hold past `maxSeats` are skipped: `too_many` when all were, else `unavailable`
   * with no seat ids when none qualifies.
   */
  holdFirst(performanceId: string, request: HoldRequest & { candidates: Candidate[] }): Promise<HoldResult & { chosen?: number }>;

  /**
   * Holds `quantity` units of a counted section (one with a capacity): all or none, only
   * while held + sold + quantity <= its capacity (else `unavailable` with no ids; a
   * section without a capacity has none). The units are the section's first FREE cells
   * `<section>#1`, `<section>#2`, ... (countedUnitId), each with `price`. `too_many` when
   * the hold would then have more than `maxSeats` units.
   */
  holdQuantity(
    performanceId: string,
    request: HoldRequest & { section: string; quantity: number; price?: number },
  ): Promise<HoldResult>;
  /**
   * Sets the capacities of counted sections, all or none: `unavailable` names the
   * sections whose held + sold exceeds the capacity asked. Appends an event with the
   * sections' counts (and capacities) even when no unit changed, so followers learn of it.
   */
  setCapacities(
    performanceId: string,
    capacities: SectionCapacity[],
    now: number,
  ): Promise<{ ok: true; event: SeatChangeEvent | null } | Refusal>;

  /** The owner's unexpired hold, or null (unknown, expired, checked out, another owner's). */
  getHold(performanceId: string, token: string, owner: string, now: number): Promise<HoldInfo | null | 'not_loaded'>;
  /** Moves the deadline (the caller caps it); `token` refusal as getHold would answer null. */
  extend(performanceId: string, token: string, owner: string, now: number, expiresAt: number): Promise<HoldResult>;
  /**
   * Releases the listed seats of the hold (all of it when `seatIds` is undefined). Seats
   * not in the hold are ignored. `hold` is null when nothing is left (the token is gone).
   */
  release(
    performanceId: string,
    token: string,
    owner: string,
    now: number,
    seatIds?: string[],
  ): Promise<{ ok: true; hold: HoldInfo | null; event: SeatChangeEvent | null } | Refusal>;

  /**
   * Starts a checkout: the hold's cells move from the token to `bookingId` (pending, no
   * expiry) and the token is gone. Answers the hold as it was.
   */
  beginCheckout(
    performanceId: string,
    token: string,
    owner: string,
    now: number,
    bookingId: string,
  ): Promise<{ ok: true; hold: HoldInfo } | Refusal>;
  /**
   * Undoes beginCheckout when the booking could not be recorded: the cells pending for
   * `bookingId` go back to the hold (same token, owner, createdAt, expiresAt). If the
   * deadline has passed, the seats are freed instead (with an event).
   */
  abortCheckout(performanceId: string, hold: HoldInfo, bookingId: string, now: number): Promise<{ event: SeatChangeEvent | null }>;
  /**
   * Ends a checkout: cells pending for `bookingId` (or FREE: after a rebuild) become sold
   * (`outcome: 'sold'`), or cells pending or sold for it become FREE (`'free'`: payment
   * refused, booking expired or cancelled). Cells of other bookings or holds are left
   * alone and listed in `conflicts`. Idempotent.
   */
  settle(
    performanceId: string,
    bookingId: string,
    seats: SeatRef[],
    outcome: 'sold' | 'free',
    now: number,
  ): Promise<{ ok: true; event: SeatChangeEvent | null; conflicts: string[] } | { ok: false; reason: 'not_loaded' }>;

  /**
   * Blocks FREE seats (all or none: `unavailable` names the others, blocked ones too) or
   * unblocks blocked ones (all or none: the others are `unavailable`).
   */
  block(
    performanceId: string,
    seats: SeatRef[],
    blocked: boolean,
    now: number,
  ): Promise<{ ok: true; event: SeatChangeEvent | null } | Refusal>;

  /**
   * Every non-FREE cell (of some sections only, when given), after purging expired holds.
   * Best-available reads this per request, so reading a few sections of a 100,000-seat
   * performance must not cost a read of all of it (Redis: one cell hash per section).
   */
  cells(performanceId: string, now: number, sections?: string[]): Promise<Map<string, CellState> | 'not_loaded'>;
  /** Counters per section (sections with no non-FREE seat may be absent), after purging. */
  counts(performanceId: string, now: number): Promise<Record<string, SectionCounts> | 'not_loaded'>;

  /** Purges expired holds of one performance; answers the events and the next deadline (null: no open hold). */
  purge(performanceId: string, now: number): Promise<{ events: SeatChangeEvent[]; nextDeadline: number | null }>;
  /** Purges every performance with a deadline <= now (the background reaper). */
  reap(now: number): Promise<SeatChangeEvent[]>;

  /**
   * Events of the performance after `afterId`, oldest first, at most `limit`. With a null
   * `afterId`: none, but the id to read on from (so a new reader starts at "now").
   * Every operation that changes cells appends its event to the performance's log in
   * the same atomic step (Redis: a stream `{perf:<id>}:ev` capped at about 10,000
   * entries; memory: a ring of the same size), so every instance can follow it.
   */
  readEvents(
    performanceId: string,
    afterId: string | null,
    limit: number,
  ): Promise<{ events: SeatChangeEvent[]; lastId: string }>;
  /** Ids of performances whose state is loaded (the reconciler walks them). */
  loadedPerformances(): Promise<string[]>;
  /** Releases timers and connections the engine owns (not a client passed in). */
  close(): Promise<void>;
  /** Removes everything of the performance (tests and deletion). */
  drop(performanceId: string): Promise<void>;
}
