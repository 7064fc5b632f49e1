import type { EntityManager } from '@mikro-orm/postgresql';
import type { CatalogEvent } from '../catalog/catalog-events.js';
import { parseAmount } from '../common/money.js';
import type { AvailabilityEvent } from './availability.js';
import { daysOf } from './inventory-day.js';
import type { Offer } from './search.service.js';
import type { Stay } from './stay.validation.js';
import { readHotelStays, type HotelStays, type RoomTypeRow, type StayHotel } from './stays.store.js';

/** Nights per cached block: a search loads the blocks its stay touches, for all of the hotel's room types. */
export const BLOCK_NIGHTS = 16;
const DAY_MS = 86_400_000;
/** How many once-searched hotel blocks are remembered (about 100 bytes each). */
const MAX_ASKED = 200_000;

export interface StayCacheOptions {
  /** At most this many room-type nights are kept (16 bytes each); least recently searched hotels go first. */
  maxNights: number;
  /** A block is read again from the database when it is older than this, whatever the events said. */
  ttlMs: number;
}

export const DEFAULT_STAY_CACHE: StayCacheOptions = { maxNights: 3_000_000, ttlMs: 300_000 };

/**
 * A block's nights, at [room type * BLOCK_NIGHTS + night] (room types in the hotel's id
 * order): the inventory row's version and what is available, and the rate in minor
 * units (NaN: no rate).
 */
interface Block {
  versions: Int32Array;
  available: Int32Array;
  rates: Float64Array;
  loadedAt: number;
}

interface CachedHotel {
  hotel: StayHotel;
  roomTypes: RoomTypeRow[];
  index: Map<string, number>;
  blocks: Map<number, Block>;
}

/**
 * A read from the database in flight: the events that arrive meanwhile, to apply over
 * what it read; `void` when the hotel changed in a way its events cannot repair (its
 * catalog, or a change made on this server that its read may predate).
 */
interface PendingLoad {
  events: AvailabilityEvent[];
  void: boolean;
}

/**
 * What the services that change a hotel tell this server once their change has
 * committed: its search cache, so the next search here shows it at once (read your
 * writes), before the change's events come back through the stream; and (app.ts) its
 * outbox relay, so those events go out now rather than at its next poll.
 */
export interface StayViews {
  /** These nights of the hotel (all of it, and its catalog, when not given) changed on this server. */
  changedHere(hotelId: string, nights?: { from: string; to: string }): void;
}

export interface StayCacheStats {
  enabled: boolean;
  hotels: number;
  nights: number;
  hits: number;
  misses: number;
}

/** What a search answers from the cache: the hotel and its offers (room types as stored). */
export interface CachedStays {
  hotel: StayHotel;
  offers: Offer[];
}

const dayNumber = (date: string) => Date.UTC(+date.slice(0, 4), +date.slice(5, 7) - 1, +date.slice(8, 10)) / DAY_MS;
const dateOf = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

/**
 * This server's copy of the nights searches read: per hotel, its room types and, in
 * blocks of 16 nights, each room type's availability and rate with the version of the
 * inventory row they come from. Kept current by the availability events every server
 * receives in order (and dropped per hotel by catalog events), so a search is answered
 * without PostgreSQL once its nights are here, and never from a night older than the
 * last event this server applied:
 *
 * - a night changes only to a view with a higher (or, for a date with no inventory row,
 *   equal) version, so events and database reads may arrive in any order;
 * - a read from the database keeps the events that arrive while it is in flight and
 *   applies them over what it read, so an event it raced is never lost;
 * - while this server cannot read the event stream, the cache is emptied and not used.
 *
 * Bookings never read it: they check every night in PostgreSQL.
 */
export class StayCache implements StayViews {
  private readonly hotels = new Map<string, CachedHotel>();
  private readonly pending = new Map<string, Set<PendingLoad>>();
  /** Hotel blocks searched once and not kept yet, oldest first (bounded: `askedBefore`). */
  private readonly asked = new Set<string>();
  private nights = 0;
  private enabled: boolean;
  /** Bumped when the cache is emptied, so a read that started before does not fill it. */
  private epoch = 0;
  private hits = 0;
  private misses = 0;

  constructor(
    private readonly options: StayCacheOptions = DEFAULT_STAY_CACHE,
    /** Off until the event stream is known to be read (a server with Redis turns it on when it has caught up). */
    enabled = true,
    private readonly now: () => number = Date.now,
  ) {
    this.enabled = enabled && options.maxNights > 0;
  }

  /**
   * The offers for a stay from the cache, or undefined when some night is not here (or
   * is too old): the caller reads the database through `load`.
   */
  lookup(hotelId: string, stay: Stay): CachedStays | undefined {
    const entry = this.enabled ? this.hotels.get(hotelId) : undefined;
    const first = dayNumber(stay.checkIn);
    const blocks = entry && this.blocksOf(entry, first, stay.nights.length);
    if (!entry || !blocks) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Most recently searched last: eviction takes from the front.
    this.hotels.delete(hotelId);
    this.hotels.set(hotelId, entry);
    const offers: Offer[] = [];
    const count = entry.roomTypes.length;
    for (let i = 0; i < count; i++) {
      let available = Infinity;
      let sum = 0;
      const nights: { date: string; priceMinor: number }[] = [];
      for (let n = 0; n < stay.nights.length; n++) {
        const day = first + n;
        const block = blocks[Math.floor(day / BLOCK_NIGHTS) - Math.floor(first / BLOCK_NIGHTS)];
        const at = i * BLOCK_NIGHTS + (day % BLOCK_NIGHTS);
        const free = block.available[at];
        const rate = block.rates[at];
        if (Number.isNaN(rate) || free < stay.rooms) {
          available = -1;
          break;
        }
        if (free < available) available = free;
        sum += rate;
        nights.push({ date: stay.nights[n], priceMinor: rate });
      }
      if (available < 0) continue;
      offers.push({ roomType: entry.roomTypes[i], available, nights, totalMinor: sum * stay.rooms, currency: entry.hotel.currency });
    }
    return { hotel: entry.hotel, offers };
  }

  /**
   * Reads the stay from the database (one statement). The first time a hotel's blocks
   * are asked for, only the stay's nights are read, as without a cache; when they are
   * asked for again, the whole blocks are read and kept (unless the cache was emptied or
   * the hotel's catalog changed meanwhile): only nights searched more than once take
   * room, and a cold search costs no more than it did. Answers what was read, for the
   * search to answer from.
   */
  async load(em: EntityManager, hotelId: string, stay: Stay): Promise<HotelStays | undefined> {
    const firstBlock = Math.floor(dayNumber(stay.checkIn) / BLOCK_NIGHTS);
    const endBlock = Math.floor((dayNumber(stay.checkIn) + stay.nights.length - 1) / BLOCK_NIGHTS) + 1;
    if (!this.enabled || !this.askedBefore(`${hotelId}:${firstBlock}:${endBlock}`)) {
      return readHotelStays(em, hotelId, stay.checkIn, stay.checkOut);
    }
    const from = dateOf(firstBlock * BLOCK_NIGHTS);
    const to = dateOf(endBlock * BLOCK_NIGHTS);
    const load: PendingLoad = { events: [], void: false };
    const epoch = this.epoch;
    let loads = this.pending.get(hotelId);
    if (!loads) this.pending.set(hotelId, (loads = new Set()));
    loads.add(load);
    try {
      const stored = await readHotelStays(em, hotelId, from, to);
      if (stored && this.enabled && epoch === this.epoch && !load.void) {
        this.install(stored, firstBlock, endBlock, load.events);
      }
      return stored;
    } finally {
      loads.delete(load);
      if (loads.size === 0) this.pending.delete(hotelId);
    }
  }

  /** An availability event from the stream (or this server's own commit): newer nights replace older ones. */
  applyAvailability(event: AvailabilityEvent): void {
    if (!this.enabled) return;
    for (const load of this.pending.get(event.hotelId) ?? []) load.events.push(event);
    const entry = this.hotels.get(event.hotelId);
    if (entry && applyTo(entry, event)) this.drop(event.hotelId);
  }

  /** The hotel or its room types changed: forget the hotel (and what reads of it are in flight). */
  catalogChanged(event: CatalogEvent): void {
    this.changedHere(event.hotelId);
  }

  changedHere(hotelId: string, nights?: { from: string; to: string }): void {
    for (const load of this.pending.get(hotelId) ?? []) load.void = true;
    const entry = this.hotels.get(hotelId);
    if (!entry) return;
    if (!nights) {
      this.drop(hotelId);
      return;
    }
    // The blocks of these nights are read again by the next search.
    const last = Math.floor((dayNumber(nights.to) - 1) / BLOCK_NIGHTS);
    for (let number = Math.floor(dayNumber(nights.from) / BLOCK_NIGHTS); number <= last; number++) {
      if (entry.blocks.delete(number)) this.nights -= entry.roomTypes.length * BLOCK_NIGHTS;
    }
  }

  /** The event stream cannot be read: nothing here could be kept current. Empties the cache and stops using it. */
  suspend(): void {
    this.enabled = false;
    this.clear();
  }

  /** The event stream is read again, from where it was: start caching afresh. */
  resume(): void {
    this.clear();
    this.enabled = this.options.maxNights > 0;
  }

  stats(): StayCacheStats {
    return { enabled: this.enabled, hotels: this.hotels.size, nights: this.nights, hits: this.hits, misses: this.misses };
  }

  /**
   * Every cached night and room type compared with the database; answers what differs.
   * Meaningful once this server has applied every committed event (the caller waits).
   */
  async audit(em: EntityManager): Promise<string[]> {
    const problems: string[] = [];
    for (const [hotelId, entry] of [...this.hotels]) {
      if (entry.blocks.size === 0) continue;
      const numbers = [...entry.blocks.keys()];
      const [first, last] = [Math.min(...numbers), Math.max(...numbers)];
      const stored = await readHotelStays(em, hotelId, dateOf(first * BLOCK_NIGHTS), dateOf((last + 1) * BLOCK_NIGHTS));
      if (this.hotels.get(hotelId) !== entry) continue; // dropped meanwhile
      if (!stored) {
        problems.push(`stay cache: hotel ${hotelId} is cached but not in the database`);
        continue;
      }
      if (!sameCatalog(entry, stored)) {
        problems.push(`stay cache: hotel ${hotelId}'s catalog differs from the database's`);
        continue;
      }
      for (const [number, block] of entry.blocks) {
        const expected = blockOf(stored, number, 0);
        for (let at = 0; at < block.versions.length; at++) {
          const show = (b: Block) => `version ${b.versions[at]}, available ${b.available[at]}, rate ${b.rates[at]}`;
          if (show(block) === show(expected)) continue;
          const roomType = entry.roomTypes[Math.floor(at / BLOCK_NIGHTS)].id;
          const date = dateOf(number * BLOCK_NIGHTS + (at % BLOCK_NIGHTS));
          problems.push(`stay cache: room type ${roomType} on ${date}: cached ${show(block)}, database ${show(expected)}`);
        }
      }
    }
    return problems;
  }

  /** Whether these blocks missed before (and are now to be kept); remembers them if not. */
  private askedBefore(blocks: string): boolean {
    if (this.asked.delete(blocks)) return true;
    this.asked.add(blocks);
    if (this.asked.size > MAX_ASKED) this.asked.delete(this.asked.values().next().value!);
    return false;
  }

  private clear(): void {
    this.epoch++;
    this.hotels.clear();
    this.nights = 0;
  }

  private drop(hotelId: string): void {
    const entry = this.hotels.get(hotelId);
    if (!entry) return;
    this.hotels.delete(hotelId);
    this.nights -= entry.blocks.size * entry.roomTypes.length * BLOCK_NIGHTS;
  }

  /** The blocks covering `length` nights from day `first`, or undefined if one is missing or too old. */
  private blocksOf(entry: CachedHotel, first: number, length: number): Block[] | undefined {
    const blocks: Block[] = [];
    const oldest = this.now() - this.options.ttlMs;
    for (let number = Math.floor(first / BLOCK_NIGHTS); number <= Math.floor((first + length - 1) / BLOCK_NIGHTS); number++) {
      const block = entry.blocks.get(number);
      if (!block || block.loadedAt < oldest) return undefined;
      blocks.push(block);
    }
    return blocks;
  }

  private install(stored: HotelStays, firstBlock: number, endBlock: number, raced: readonly AvailabilityEvent[]): void {
    const hotelId = stored.hotel.id;
    if (raced.some(unordered)) {
      this.drop(hotelId);
      return;
    }
    let entry = this.hotels.get(hotelId);
    // A catalog read newer (or older) than the cached one: its event is on its way; start over from this read.
    if (entry && !sameCatalog(entry, stored)) {
      this.drop(hotelId);
      entry = undefined;
    }
    if (!entry) {
      entry = {
        hotel: stored.hotel,
        roomTypes: stored.roomTypes,
        index: new Map(stored.roomTypes.map((row, i) => [row.id, i])),
        blocks: new Map(),
      };
    }
    const loadedAt = this.now();
    for (let number = firstBlock; number < endBlock; number++) {
      const block = blockOf(stored, number, loadedAt);
      const old = entry.blocks.get(number);
      if (old) keepNewer(block, old);
      else this.nights += stored.roomTypes.length * BLOCK_NIGHTS;
      entry.blocks.set(number, block);
    }
    // Nights long past are never searched again.
    const past = Math.floor((loadedAt / DAY_MS - 2) / BLOCK_NIGHTS);
    for (const number of [...entry.blocks.keys()]) {
      if (number < past) {
        entry.blocks.delete(number);
        this.nights -= stored.roomTypes.length * BLOCK_NIGHTS;
      }
    }
    for (const event of raced) applyTo(entry, event);
    this.hotels.delete(hotelId);
    this.hotels.set(hotelId, entry);
    for (const id of this.hotels.keys()) {
      if (this.nights <= this.options.maxNights || id === hotelId) break;
      this.drop(id);
    }
  }
}

/** Whether the cached hotel and room types are the ones read (fields and versions alike). */
function sameCatalog(entry: CachedHotel, stored: HotelStays): boolean {
  return JSON.stringify([entry.hotel, entry.roomTypes]) === JSON.stringify([stored.hotel, stored.roomTypes]);
}

/** One block's nights as a read of the database (covering them) has them. */
function blockOf(stored: HotelStays, number: number, loadedAt: number): Block {
  const size = stored.roomTypes.length * BLOCK_NIGHTS;
  const block: Block = { versions: new Int32Array(size), available: new Int32Array(size), rates: new Float64Array(size), loadedAt };
  const dates = Array.from({ length: BLOCK_NIGHTS }, (_, n) => dateOf(number * BLOCK_NIGHTS + n));
  stored.roomTypes.forEach((row, i) => {
    daysOf(stored.ranges.get(row.id)!, dates, stored.hotel.currency).forEach((day, n) => {
      const at = i * BLOCK_NIGHTS + n;
      block.versions[at] = day.version;
      block.available[at] = day.available;
      block.rates[at] = day.rateMinor ?? NaN;
    });
  });
  return block;
}

/** Keeps, night by night, whichever of the two views has the higher version (`into` wins ties). */
function keepNewer(into: Block, other: Block): void {
  for (let at = 0; at < into.versions.length; at++) {
    if (other.versions[at] <= into.versions[at]) continue;
    into.versions[at] = other.versions[at];
    into.available[at] = other.available[at];
    into.rates[at] = other.rates[at];
  }
}

/** An event without versions (written by an older server) cannot be ordered: its hotel is forgotten. */
const unordered = (event: AvailabilityEvent) => event.days.some((day) => typeof day.version !== 'number');

/** Applies the event's newer nights; answers true when the hotel must be forgotten instead. */
function applyTo(entry: CachedHotel, event: AvailabilityEvent): boolean {
  if (unordered(event)) return true;
  const i = entry.index.get(event.roomTypeId);
  if (i === undefined) return false;
  for (const day of event.days) {
    const number = dayNumber(day.date);
    const block = entry.blocks.get(Math.floor(number / BLOCK_NIGHTS));
    if (!block) continue;
    const at = i * BLOCK_NIGHTS + (number % BLOCK_NIGHTS);
    // Equal versions are the same view, except for a date without an inventory row (0),
    // whose rate may change: events of such a date come in commit order.
    if (day.version < block.versions[at] || (day.version === block.versions[at] && day.version !== 0)) continue;
    block.versions[at] = day.version;
    block.available[at] = day.available;
    block.rates[at] = day.rate === null ? NaN : parseAmount(day.rate.amount, day.rate.currency);
  }
  return false;
}
