import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import { isId, newId } from '../../../entities/id.js';
import { Exhibition } from '../../../entities/venues/exhibition.entity.js';
import type { OfferingStatus } from '../../../entities/venues/offering.js';
import { TimeSlot } from '../../../entities/venues/time-slot.entity.js';
import { Venue } from '../../../entities/venues/venue.entity.js';
import { ifGiven, validate } from '../../catalog/catalog.validation.js';
import type { Caller } from '../../common/caller.js';
import { daysBetween, isLocalDate, minutesOfDay, nightsOf, zonedInstant } from '../../common/dates.js';
import { badInput, DomainError, ErrorCode } from '../../common/errors.js';
import { parseAmount } from '../../common/money.js';
import { integer } from '../../common/validation.js';
import { saveVersioned } from '../../common/versioning.js';
import type { DetailsSchema } from '../details.js';
import { findVenueManaged } from '../catalog/venue-lookup.js';
import { DEFAULT_HOLD_MINUTES, validatePerformance } from '../catalog/venue.validation.js';
import type { SectionCapacity, SectionCounts } from '../holds/hold-engine.js';
import { onSeats } from '../seat-state.js';
import type { VenueDeps } from '../venue.deps.js';
import { closingMinutes } from '../dining/seatings.js';
import { lockSlots, upsertSlots, type SlotRow } from './exhibition.store.js';

type Optional<T> = { [K in keyof T]?: T[K] | null };

export interface CreateExhibitionData {
  venueId: string;
  title: string;
  description?: string | null;
  holdMinutes?: number | null;
  maxTicketsPerHold?: number | null;
  detailsSchema?: DetailsSchema | null;
}

export type UpdateExhibitionData = { id: string; version: number } & Optional<{
  title: string;
  description: string;
  status: OfferingStatus;
  holdMinutes: number;
  maxTicketsPerHold: number;
  detailsSchema: DetailsSchema;
}>;

export interface SetTimeSlotsData {
  exhibitionId: string;
  from: string;
  to: string;
  opens: string;
  closes: string;
  intervalMinutes: number;
  capacity: number;
  price: string;
}

/** A time slot with its live counts (the contract's TimeSlot). */
export interface TimeSlotView {
  id: string;
  exhibitionId: string;
  startsAt: Date;
  endsAt: Date;
  capacity: number;
  held: number;
  sold: number;
  available: number;
  priceMinor: number;
  currency: string;
}

export const DEFAULT_MAX_TICKETS_PER_HOLD = 10;
/** A year of dates at most per setTimeSlots. */
export const MAX_SLOT_DAYS = 366;
/** Slots of one day at most: one every 5 minutes (the shortest interval). */
export const MAX_DAY_SLOTS = (24 * 60) / 5;
const MAX_CAPACITY = 1_000_000;

const validateExhibition = {
  title: (value: string | null) => validate.name(value, 'title'),
  description: (value: string | null) => validate.description(value),
  holdMinutes: validatePerformance.holdMinutes,
  maxTicketsPerHold: (value: number | null) => {
    if (value === null) throw badInput('maxTicketsPerHold', 'cannot be null');
    return integer('maxTicketsPerHold', value, 1, 100);
  },
  status: validatePerformance.status,
  detailsSchema: validatePerformance.detailsSchema,
};

/**
 * Timed-entry exhibitions (VENUES.md): staff create an exhibition and set its time
 * slots over a range of dates, each slot with a capacity and a price per ticket; guests
 * list a date's slots with what is left. Times are the venue's: a slot starts at a local
 * wall-clock time, and across a daylight-saving change it is the right instant. The hold
 * engine keeps each slot's capacity with its counters, so a capacity below held + sold
 * is refused atomically (INVALID_STATE), and no hold can pass it.
 */
export class ExhibitionService {
  private readonly byVenue = new DataLoader<string, Exhibition[]>(async (venueIds) => {
    const all = await this.em.find(Exhibition, { venue: { $in: [...venueIds] } }, { orderBy: { id: 'asc' } });
    return venueIds.map((id) => all.filter((exhibition) => exhibition.venue.id === id));
  });

  constructor(
    private readonly em: EntityManager,
    private readonly deps: VenueDeps,
  ) {}

  exhibition(id: string): Promise<Exhibition | null> {
    return isId(id) ? this.em.findOne(Exhibition, id) : Promise.resolve(null);
  }

  /** In creation order. */
  exhibitionsOf(venue: Venue): Promise<Exhibition[]> {
    return this.byVenue.load(venue.id);
  }

  venueOf(exhibition: Exhibition): Promise<Venue> {
    return exhibition.venue.loadOrFail({ dataloader: true });
  }

  async createExhibition(caller: Caller, data: CreateExhibitionData): Promise<Exhibition> {
    const venue = await findVenueManaged(this.em, caller, Venue, data.venueId);
    const exhibition = this.em.create(Exhibition, {
      venue,
      title: validateExhibition.title(data.title),
      description: validateExhibition.description(data.description ?? null),
      holdMinutes: validateExhibition.holdMinutes(data.holdMinutes ?? DEFAULT_HOLD_MINUTES),
      maxTicketsPerHold: validateExhibition.maxTicketsPerHold(data.maxTicketsPerHold ?? DEFAULT_MAX_TICKETS_PER_HOLD),
      detailsSchema: validateExhibition.detailsSchema(data.detailsSchema ?? null),
    });
    await this.em.flush();
    return exhibition;
  }

  async updateExhibition(caller: Caller, data: UpdateExhibitionData): Promise<Exhibition> {
    const exhibition = await findVenueManaged(this.em, caller, Exhibition, data.id);
    const changes = {
      title: ifGiven(data.title, validateExhibition.title),
      description: data.description === undefined ? undefined : validateExhibition.description(data.description),
      status: ifGiven(data.status, validateExhibition.status),
      holdMinutes: ifGiven(data.holdMinutes, validateExhibition.holdMinutes),
      maxTicketsPerHold: ifGiven(data.maxTicketsPerHold, validateExhibition.maxTicketsPerHold),
      detailsSchema: ifGiven(data.detailsSchema, validateExhibition.detailsSchema),
    };
    validate.version(data.version);
    const saved = await saveVersioned(this.em, exhibition, data.version, changes);
    this.deps.offerings.forget(exhibition.id);
    return saved;
  }

  /**
   * Creates the slots of every date in [from, to): opens, opens + interval, ... while
   * start + interval <= closes (local times; a start in the hour a daylight-saving change
   * skips does not exist, one in the repeated hour is its first occurrence; a slot lasts
   * interval minutes). A slot that exists (same start) gets the new capacity and price;
   * other slots are left as they are. All or nothing: a capacity below a slot's held +
   * sold is INVALID_STATE with extensions.timeSlotIds, and nothing changes.
   */
  async setTimeSlots(caller: Caller, data: SetTimeSlotsData): Promise<TimeSlotView[]> {
    const exhibition = await findVenueManaged(this.em, caller, Exhibition, data.exhibitionId);
    const venue = await this.venueOf(exhibition);
    const plan = slotPlan(data, venue.timezone);
    const capacity = integer('capacity', data.capacity, 0, MAX_CAPACITY);
    const priceMinor = parseAmount(data.price, venue.currency, 'price');

    // Loaded first, outside the transaction: a rebuild reads PostgreSQL on a connection of its own.
    await onSeats(this.em, this.deps, exhibition.id, () => this.deps.engine.counts(exhibition.id, this.deps.clock.now().getTime()));
    let previous: SectionCapacity[] | undefined;
    let slots: SlotRow[];
    try {
      slots = await this.em.transactional(async (tx) => {
        const before = (await lockSlots(tx, exhibition.id, data.from, data.to)).map((slot) => ({
          section: slot.id,
          capacity: slot.capacity,
          price: slot.priceMinor,
        }));
        const planned = await upsertSlots(tx, exhibition.id, plan.map((slot) => ({ id: newId(), ...slot })), capacity, priceMinor);
        // The engine checks held + sold against the new capacities and sets them in one
        // step; refused, the transaction rolls back and nothing changes.
        const set = await this.deps.engine.setCapacities(
          exhibition.id,
          planned.map((slot) => ({ section: slot.id, capacity, price: priceMinor })),
          this.deps.clock.now().getTime(),
        );
        if (!set.ok && set.reason === 'unavailable') {
          throw new DomainError(ErrorCode.INVALID_STATE, 'A capacity is below the tickets held and sold of its slot', {
            timeSlotIds: set.seatIds,
          });
        }
        if (!set.ok) throw new DomainError(ErrorCode.BUSY, 'Ticket holds are being rebuilt: retry shortly', { retryAfterSeconds: 1 });
        previous = before;
        return planned;
      });
    } catch (error) {
      // The engine took the new capacities but PostgreSQL did not: put the old ones back.
      if (previous) await this.restoreCapacities(exhibition.id, previous);
      throw error;
    }
    this.deps.offerings.forget(exhibition.id);
    return this.withCounts(slots, venue.currency);
  }

  private async restoreCapacities(exhibitionId: string, capacities: SectionCapacity[]): Promise<void> {
    const restored = await this.deps.engine
      .setCapacities(exhibitionId, capacities, this.deps.clock.now().getTime())
      .then((result) => result.ok, () => false);
    if (!restored) {
      this.deps.logger.warn({ exhibitionId }, 'slot capacities not restored in the hold engine: set the slots again to bring it in line');
    }
  }

  /** The slots starting on a local date, earliest first; with `quantity`, only those with at least that many left. */
  async timeSlots(exhibition: Exhibition, date: string, quantity?: number | null): Promise<TimeSlotView[]> {
    if (!isLocalDate(date)) throw badInput('date', 'must be a date YYYY-MM-DD');
    if (quantity != null) integer('quantity', quantity, 1, MAX_CAPACITY);
    const [venue, slots] = await Promise.all([
      this.venueOf(exhibition),
      this.em.find(TimeSlot, { exhibition: exhibition.id, localDate: date }, { orderBy: { startsAt: 'asc' } }),
    ]);
    const views = await this.withCounts(slots.map(slotRowOf), venue.currency);
    return quantity == null ? views : views.filter((slot) => slot.available >= quantity);
  }

  /** The slots with their counters from the hold engine (the capacity it checks against). */
  async withCounts(slots: readonly SlotRow[], currency: string): Promise<TimeSlotView[]> {
    if (slots.length === 0) return [];
    const { exhibitionId } = slots[0];
    const now = this.deps.clock.now().getTime();
    const counts = await onSeats(this.em, this.deps, exhibitionId, () => this.deps.engine.counts(exhibitionId, now));
    return slots.map((slot) => slotView(slot, counts[slot.id], currency));
  }
}

/** The slot as the timed-entry SQL has it. */
export function slotRowOf(slot: TimeSlot): SlotRow {
  const { id, localDate, startsAt, endsAt, capacity, priceMinor } = slot;
  return { id, exhibitionId: slot.exhibition.id, localDate, startsAt, endsAt, capacity, priceMinor };
}

export function slotView(slot: SlotRow, counts: SectionCounts | undefined, currency: string): TimeSlotView {
  const held = counts?.held ?? 0;
  const sold = counts?.sold ?? 0;
  const capacity = counts?.capacity ?? slot.capacity;
  return {
    id: slot.id,
    exhibitionId: slot.exhibitionId,
    startsAt: slot.startsAt,
    endsAt: slot.endsAt,
    capacity,
    held,
    sold,
    available: Math.max(0, capacity - held - sold),
    // The engine's price is the one the change it describes set (a live event may be read before PostgreSQL commits it).
    priceMinor: counts?.price ?? slot.priceMinor,
    currency,
  };
}

/** The slots setTimeSlots makes: local date, start and end instants, earliest first. */
function slotPlan(data: SetTimeSlotsData, timeZone: string): { localDate: string; startsAt: Date; endsAt: Date }[] {
  if (!isLocalDate(data.from)) throw badInput('from', 'must be a date YYYY-MM-DD');
  if (!isLocalDate(data.to)) throw badInput('to', 'must be a date YYYY-MM-DD');
  const days = daysBetween(data.from, data.to);
  if (days < 1 || days > MAX_SLOT_DAYS) throw badInput('to', `must be 1 to ${MAX_SLOT_DAYS} days after from`);
  const opens = minutesOfDay(data.opens);
  if (opens === null) throw badInput('opens', 'must be a local time HH:MM');
  const closes = closingMinutes(data.closes);
  if (closes === null) throw badInput('closes', 'must be a local time HH:MM (or 24:00)');
  if (closes <= opens) throw badInput('closes', 'must be after opens');
  const interval = integer('intervalMinutes', data.intervalMinutes, (24 * 60) / MAX_DAY_SLOTS, 24 * 60);
  if (opens + interval > closes) throw badInput('intervalMinutes', 'leaves no slot between opens and closes');
  const plan: { localDate: string; startsAt: Date; endsAt: Date }[] = [];
  for (const localDate of nightsOf(data.from, data.to)) {
    for (let minute = opens; minute + interval <= closes; minute += interval) {
      const startsAt = zonedInstant(localDate, minute, timeZone);
      if (startsAt) plan.push({ localDate, startsAt, endsAt: new Date(startsAt.getTime() + interval * 60_000) });
    }
  }
  return plan;
}
