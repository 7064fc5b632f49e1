import type { Cluster, Redis } from 'ioredis';
import {
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
} from '../../services/venues/holds/hold-engine.js';
import { defineHoldScripts, type HoldScripts, type PerformanceScript, type ScriptArg } from './hold-scripts.js';

export interface RedisHoldEngineOptions {
  /** Entries kept in each performance's event stream (about that many: trimmed with MAXLEN ~). */
  eventLogLength?: number;
  /** Prefix of the engine's keys outside every performance (index and loaded set); tests give each run its own. */
  indexPrefix?: string;
}

const DEFAULT_EVENT_LOG_LENGTH = 10_000;

/** A script's answer: a status ('ok' or a refusal's reason), then what that status carries. */
type Reply = [string, ...unknown[]];
/** An appended event as a script answers it: [stream id, JSON body], or [] when nothing changed. */
type EventReply = [] | [string, string];
/** [token, owner, createdAt, expiresAt, then (seatId, section, tag) per seat] */
type HoldReply = string[];

interface StoredEvent {
  at: string;
  seats: [string, SeatStatusName][];
  sections: Record<string, SectionCounts>;
}

/** The keys of one performance: one hash tag, so one Redis Cluster slot. */
function performanceKeys(performanceId: string) {
  const tag = `{perf:${performanceId}}`;
  const [loaded, counts, deadlines, events] = [`${tag}:loaded`, `${tag}:cnt`, `${tag}:exp`, `${tag}:ev`];
  return { loaded, events, scriptKeys: [loaded, counts, deadlines, events] };
}

/**
 * The hold engine on Redis (standalone or Cluster): every operation is one Lua script
 * (hold-scripts.ts) on the performance's slot. The client is the caller's to close.
 *
 * Besides the performances' keys, a few index them: the loaded set (for the reconciler)
 * and the reaper's index, a sorted set of performance -> version, where every hold
 * created sets a version never used before (from a counter beside it). `reap` purges each
 * indexed performance and forgets one only when its purge found no open hold and its
 * version is still the one read before the purge (a compare-and-set). A hold created
 * after that purge gets indexed after it exists: either before the compare-and-set, which
 * then fails, or after the removal, which it undoes. A version that merely counted up
 * per performance would not do: after a removal and re-add it would repeat, and a
 * second reaper holding the old read would remove the new hold's entry. (A server that
 * dies between creating a hold and indexing it leaves that hold to lazy expiry: the next
 * operation on its performance.)
 */
export class RedisHoldEngine implements HoldEngine {
  private readonly scripts: HoldScripts;
  private readonly eventLogLength: number;
  private readonly holdsIndexKey: string;
  private readonly holdsVersionKey: string;
  private readonly loadedSetKey: string;

  constructor(
    private readonly client: Redis | Cluster,
    options: RedisHoldEngineOptions = {},
  ) {
    this.scripts = defineHoldScripts(client);
    this.eventLogLength = options.eventLogLength ?? DEFAULT_EVENT_LOG_LENGTH;
    const prefix = options.indexPrefix ?? 'venues:';
    this.holdsIndexKey = `{${prefix}holds}`;
    this.holdsVersionKey = `{${prefix}holds}:version`;
    this.loadedSetKey = `${prefix}loaded`;
  }

  async isLoaded(performanceId: string): Promise<boolean> {
    return (await this.client.exists(performanceKeys(performanceId).loaded)) === 1;
  }

  async load(performanceId: string, snapshot: LoadSnapshot): Promise<boolean> {
    const triples: ScriptArg[] = [];
    for (const { seat, bookingId } of snapshot.sold) triples.push(seat.id, seat.section, `S:${bookingId}`);
    for (const { seat, bookingId } of snapshot.pending) triples.push(seat.id, seat.section, `P:${bookingId}`);
    for (const seat of snapshot.blocked) triples.push(seat.id, seat.section, 'X');
    const capacities = snapshot.capacities ?? [];
    const args: ScriptArg[] = [capacities.length, ...capacityArgs(capacities)];
    // `now` is unused: a performance that is not loaded has no holds to expire.
    const [status] = await this.run('venuesLoad', performanceId, 0, args.concat(triples));
    await this.client.sadd(this.loadedSetKey, performanceId);
    return status === 'loaded';
  }

  holdSeats(performanceId: string, request: HoldRequest & { seats: SeatRef[] }): Promise<HoldResult> {
    return this.hold(performanceId, request, [{ seats: request.seats, guards: [] }], true);
  }

  holdFirst(performanceId: string, request: HoldRequest & { candidates: Candidate[] }): Promise<HoldResult & { chosen?: number }> {
    return this.hold(performanceId, request, request.candidates, false);
  }

  private async hold(
    performanceId: string,
    request: HoldRequest,
    candidates: Candidate[],
    listUnavailable: boolean,
  ): Promise<HoldResult & { chosen?: number }> {
    const { token, owner, expiresAt, existing, maxSeats } = request;
    const args: ScriptArg[] = [token, owner, expiresAt, existing ? 1 : 0, maxSeats, listUnavailable ? 1 : 0];
    for (const { seats, guards } of candidates) {
      args.push(seats.length, guards.length, ...seatArgs(seats));
      for (const [lone, beyond] of guards) {
        args.push(lone, guardSection(lone), beyond ?? '', beyond === null ? '' : guardSection(beyond));
      }
    }
    const reply = await this.run('venuesHold', performanceId, request.now, args);
    if (reply[0] !== 'ok') return refusal(reply);
    const [, chosen, event, hold] = reply as [string, number, EventReply, HoldReply];
    if (!existing) await this.indexHold(performanceId);
    return { ok: true, hold: decodeHold(hold), event: decodeEvent(performanceId, event), chosen };
  }

  async holdQuantity(
    performanceId: string,
    request: HoldRequest & { section: string; quantity: number; price?: number },
  ): Promise<HoldResult> {
    const { token, owner, expiresAt, existing, maxSeats, section, quantity, price } = request;
    const args: ScriptArg[] = [token, owner, expiresAt, existing ? 1 : 0, maxSeats, section, quantity, seatTag({ price })];
    const reply = await this.run('venuesHoldQuantity', performanceId, request.now, args);
    if (reply[0] !== 'ok') return refusal(reply);
    const [, event, hold] = reply as [string, EventReply, HoldReply];
    if (!existing) await this.indexHold(performanceId);
    return { ok: true, hold: decodeHold(hold), event: decodeEvent(performanceId, event) };
  }

  async setCapacities(
    performanceId: string,
    capacities: SectionCapacity[],
    now: number,
  ): Promise<{ ok: true; event: SeatChangeEvent | null } | Refusal> {
    const reply = await this.run('venuesSetCapacities', performanceId, now, capacityArgs(capacities));
    if (reply[0] !== 'ok') return refusal(reply);
    return { ok: true, event: decodeEvent(performanceId, reply[1] as EventReply) };
  }

  async getHold(performanceId: string, token: string, owner: string, now: number): Promise<HoldInfo | null | 'not_loaded'> {
    const reply = await this.run('venuesGetHold', performanceId, now, [token, owner]);
    if (reply[0] === 'not_loaded') return 'not_loaded';
    return reply[0] === 'ok' ? decodeHold(reply[1] as HoldReply) : null;
  }

  async extend(performanceId: string, token: string, owner: string, now: number, expiresAt: number): Promise<HoldResult> {
    const reply = await this.run('venuesExtend', performanceId, now, [token, owner, expiresAt]);
    if (reply[0] !== 'ok') return refusal(reply);
    return { ok: true, hold: decodeHold(reply[1] as HoldReply), event: null };
  }

  async release(
    performanceId: string,
    token: string,
    owner: string,
    now: number,
    seatIds?: string[],
  ): Promise<{ ok: true; hold: HoldInfo | null; event: SeatChangeEvent | null } | Refusal> {
    const which = seatIds ? ['some', ...seatIds] : ['all'];
    const reply = await this.run('venuesRelease', performanceId, now, [token, owner, ...which]);
    if (reply[0] !== 'ok') return refusal(reply);
    const [, event, hold] = reply as [string, EventReply, HoldReply];
    return { ok: true, hold: hold.length > 0 ? decodeHold(hold) : null, event: decodeEvent(performanceId, event) };
  }

  async beginCheckout(
    performanceId: string,
    token: string,
    owner: string,
    now: number,
    bookingId: string,
  ): Promise<{ ok: true; hold: HoldInfo } | Refusal> {
    const reply = await this.run('venuesBeginCheckout', performanceId, now, [token, owner, bookingId]);
    if (reply[0] !== 'ok') return refusal(reply);
    return { ok: true, hold: decodeHold(reply[1] as HoldReply) };
  }

  async abortCheckout(performanceId: string, hold: HoldInfo, bookingId: string, now: number): Promise<{ event: SeatChangeEvent | null }> {
    const args = [hold.token, hold.owner, hold.createdAt, hold.expiresAt, bookingId, ...seatArgs(hold.seats)];
    const reply = await this.run('venuesAbortCheckout', performanceId, now, args);
    if (reply[0] !== 'ok') return { event: null };
    const [, event, seatsBack] = reply as [string, EventReply, number];
    if (seatsBack > 0) await this.indexHold(performanceId);
    return { event: decodeEvent(performanceId, event) };
  }

  async settle(
    performanceId: string,
    bookingId: string,
    seats: SeatRef[],
    outcome: 'sold' | 'free',
    now: number,
  ): Promise<{ ok: true; event: SeatChangeEvent | null; conflicts: string[] } | { ok: false; reason: 'not_loaded' }> {
    const reply = await this.run('venuesSettle', performanceId, now, [bookingId, outcome, ...seatArgs(seats)]);
    if (reply[0] !== 'ok') return { ok: false, reason: 'not_loaded' };
    const [, event, conflicts] = reply as [string, EventReply, string[]];
    return { ok: true, event: decodeEvent(performanceId, event), conflicts };
  }

  async block(
    performanceId: string,
    seats: SeatRef[],
    blocked: boolean,
    now: number,
  ): Promise<{ ok: true; event: SeatChangeEvent | null } | Refusal> {
    const reply = await this.run('venuesBlock', performanceId, now, [blocked ? 1 : 0, ...seatArgs(seats)]);
    if (reply[0] !== 'ok') return refusal(reply);
    return { ok: true, event: decodeEvent(performanceId, reply[1] as EventReply) };
  }

  async cells(performanceId: string, now: number, sections?: string[]): Promise<Map<string, CellState> | 'not_loaded'> {
    const which = sections ? ['some', ...sections] : ['all'];
    const reply = await this.run('venuesCells', performanceId, now, which);
    if (reply[0] !== 'ok') return 'not_loaded';
    const cells = new Map<string, CellState>();
    for (let i = 1; i < reply.length; i += 2) cells.set(reply[i] as string, decodeCell(reply[i + 1] as string));
    return cells;
  }

  async counts(performanceId: string, now: number): Promise<Record<string, SectionCounts> | 'not_loaded'> {
    const reply = await this.run('venuesCounts', performanceId, now);
    if (reply[0] !== 'ok') return 'not_loaded';
    const fields = reply[1] as string[];
    const counts: Record<string, SectionCounts> = {};
    for (let i = 0; i < fields.length; i += 2) {
      const colon = fields[i].lastIndexOf(':');
      const section = fields[i].slice(0, colon);
      counts[section] ??= { held: 0, sold: 0, blocked: 0 };
      const kind = fields[i].slice(colon + 1);
      counts[section][kind === 'cap' ? 'capacity' : (kind as keyof SectionCounts)] = Number(fields[i + 1]);
    }
    return counts;
  }

  async purge(performanceId: string, now: number): Promise<{ events: SeatChangeEvent[]; nextDeadline: number | null }> {
    const reply = await this.run('venuesPurge', performanceId, now);
    if (reply[0] !== 'ok') return { events: [], nextDeadline: null };
    const [, event, nextDeadline] = reply as [string, EventReply, string];
    const purged = decodeEvent(performanceId, event);
    return { events: purged ? [purged] : [], nextDeadline: nextDeadline === '' ? null : Number(nextDeadline) };
  }

  async reap(now: number): Promise<SeatChangeEvent[]> {
    const index = await this.client.zrange(this.holdsIndexKey, 0, -1, 'WITHSCORES');
    const events: SeatChangeEvent[] = [];
    const failures: unknown[] = [];
    for (let i = 0; i < index.length; i += 2) {
      const [performanceId, version] = [index[i], index[i + 1]];
      // One performance that cannot be purged must not keep the others' holds from expiring.
      try {
        const purged = await this.purge(performanceId, now);
        events.push(...purged.events);
        if (purged.nextDeadline === null) await this.scripts.forgetIfUnchanged([this.holdsIndexKey], [performanceId, version]);
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) {
      throw new AggregateError(failures, `could not purge ${failures.length} of ${index.length / 2} performances`);
    }
    return events;
  }

  async readEvents(performanceId: string, afterId: string | null, limit: number): Promise<{ events: SeatChangeEvent[]; lastId: string }> {
    const key = performanceKeys(performanceId).events;
    if (afterId === null) {
      const [last] = await this.client.xrevrange(key, '+', '-', 'COUNT', 1);
      return { events: [], lastId: last?.[0] ?? '0-0' };
    }
    const entries = await this.client.xrange(key, `(${afterId}`, '+', 'COUNT', limit);
    const events = entries.map(([id, fields]) => eventFrom(performanceId, id, fields[fields.indexOf('event') + 1]));
    return { events, lastId: entries.at(-1)?.[0] ?? afterId };
  }

  async loadedPerformances(): Promise<string[]> {
    // Entries outlive the state when Redis loses it: keep only those still loaded.
    const members = await this.client.smembers(this.loadedSetKey);
    const loaded = await Promise.all(members.map((performanceId) => this.isLoaded(performanceId)));
    return members.filter((_, i) => loaded[i]);
  }

  async close(): Promise<void> {
    // The client is the caller's; the engine owns no timer.
  }

  async drop(performanceId: string): Promise<void> {
    await this.run('venuesDrop', performanceId, 0);
    await this.client.srem(this.loadedSetKey, performanceId);
    await this.client.zrem(this.holdsIndexKey, performanceId);
  }

  private async run(script: PerformanceScript, performanceId: string, now: number, args: ScriptArg[] = []): Promise<Reply> {
    const common: ScriptArg[] = [now, this.eventLogLength];
    return (await this.scripts.performance[script](performanceKeys(performanceId).scriptKeys, common.concat(args))) as Reply;
  }

  /** After the hold exists, never before: see the class comment. */
  private async indexHold(performanceId: string): Promise<void> {
    await this.scripts.indexHold([this.holdsIndexKey, this.holdsVersionKey], [performanceId]);
  }
}

/** Capacities as the scripts take them: (section, capacity, price or '') per section. */
function capacityArgs(capacities: readonly SectionCapacity[]): ScriptArg[] {
  return capacities.flatMap(({ section, capacity, price }) => [section, capacity, price ?? '']);
}

/** A seat list as the scripts take it: (seatId, section, tag) per seat. */
function seatArgs(seats: SeatRef[]): ScriptArg[] {
  return seats.flatMap((seat) => [seat.id, seat.section, seatTag(seat)]);
}

/**
 * What a hold keeps of a seat besides its id and section, as one opaque string the
 * scripts store and give back: the price, and `x<quantity>` when one was given ('' for neither).
 */
function seatTag({ price, quantity }: Pick<SeatRef, 'price' | 'quantity'>): string {
  return `${price ?? ''}${quantity === undefined ? '' : `x${quantity}`}`;
}

function withTag(id: string, section: string, tag: string): SeatRef {
  const seat: SeatRef = { id, section };
  const [price, quantity] = tag.split('x');
  if (price !== '') seat.price = Number(price);
  if (quantity !== undefined) seat.quantity = Number(quantity);
  return seat;
}

function refusal(reply: Reply): Refusal {
  switch (reply[0]) {
    case 'not_loaded':
      return { ok: false, reason: 'not_loaded' };
    case 'token':
      return { ok: false, reason: 'token' };
    case 'too_many':
      return { ok: false, reason: 'too_many', max: reply[1] as number };
    case 'unavailable':
      return { ok: false, reason: 'unavailable', seatIds: reply[1] as string[] };
  }
  throw new Error(`unexpected hold script reply: ${reply[0]}`);
}

function decodeHold([token, owner, createdAt, expiresAt, ...seats]: HoldReply): HoldInfo {
  const hold: HoldInfo = { token, owner, createdAt: Number(createdAt), expiresAt: Number(expiresAt), seats: [] };
  for (let i = 0; i < seats.length; i += 3) {
    const [id, section, tag] = seats.slice(i, i + 3);
    hold.seats.push(withTag(id, section, tag));
  }
  return hold;
}

function decodeCell(cell: string): CellState {
  switch (cell[0]) {
    case 'H':
      return { state: 'held', token: cell.slice(2) };
    case 'P':
      return { state: 'pending', bookingId: cell.slice(2) };
    case 'S':
      return { state: 'sold', bookingId: cell.slice(2) };
  }
  return { state: 'blocked' };
}

function decodeEvent(performanceId: string, reply: EventReply): SeatChangeEvent | null {
  return reply.length === 0 ? null : eventFrom(performanceId, reply[0], reply[1]);
}

function eventFrom(performanceId: string, eventId: string, body: string): SeatChangeEvent {
  const stored = JSON.parse(body) as StoredEvent;
  return {
    eventId,
    performanceId,
    at: Number(stored.at),
    // cjson writes an empty list as {}: an event of capacities alone has no seats.
    seats: Array.isArray(stored.seats) ? stored.seats.map(([seatId, status]) => ({ seatId, status })) : [],
    sections: stored.sections,
  };
}
