import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import { ReservationStatus } from '../../../entities/booking/reservation.entity.js';
import { isId } from '../../../entities/id.js';
import { BookingItem } from '../../../entities/venues/booking-item.entity.js';
import { DiningTable } from '../../../entities/venues/dining-table.entity.js';
import { OfferingStatus } from '../../../entities/venues/offering.js';
import { Restaurant, type OpeningHoursData } from '../../../entities/venues/restaurant.entity.js';
import { Venue } from '../../../entities/venues/venue.entity.js';
import { ifGiven, validate } from '../../catalog/catalog.validation.js';
import type { Caller } from '../../common/caller.js';
import { isLocalDate, minutesOfDay } from '../../common/dates.js';
import { badInput, invalidState, notFound, versionConflict } from '../../common/errors.js';
import { parseAmount } from '../../common/money.js';
import { integer, present, text } from '../../common/validation.js';
import { saveVersioned } from '../../common/versioning.js';
import type { DetailsSchema } from '../details.js';
import { findVenueManaged } from '../catalog/venue-lookup.js';
import { DEFAULT_HOLD_MINUTES, validatePerformance } from '../catalog/venue.validation.js';
import type { CellState } from '../holds/hold-engine.js';
import { onSeats } from '../seat-state.js';
import type { VenueDeps } from '../venue.deps.js';
import { TABLE_CELL_MINUTES } from './restaurant-context.js';
import { busyIntervals, closingMinutes, freeTables, seatingStarts, tablesFor } from './seatings.js';

type Optional<T> = { [K in keyof T]?: T[K] | null };

export interface CreateRestaurantData {
  venueId: string;
  name: string;
  slotMinutes?: number | null;
  turnMinutes?: number | null;
  openingHours: readonly OpeningHoursData[];
  maxPartySize?: number | null;
  depositPerCover?: string | null;
  holdMinutes?: number | null;
  detailsSchema?: DetailsSchema | null;
}

export type UpdateRestaurantData = { id: string; version: number } & Optional<{
  name: string;
  status: OfferingStatus;
  slotMinutes: number;
  turnMinutes: number;
  openingHours: readonly OpeningHoursData[];
  maxPartySize: number;
  depositPerCover: string;
  holdMinutes: number;
  detailsSchema: DetailsSchema;
}>;

export interface CreateDiningTableData {
  restaurantId: string;
  label: string;
  minCovers: number;
  maxCovers: number;
}

export type UpdateDiningTableData = { id: string; version: number } & Optional<{ label: string; minCovers: number; maxCovers: number }>;

export interface DiningSlotView {
  startsAt: Date;
  tablesAvailable: number;
}

export interface TableBusyView {
  tableId: string;
  intervals: { startsAt: Date; endsAt: Date }[];
}

const MAX_PARTY = 100;

/** Minutes that tables are held in whole cells of. */
function cellMinutes(field: string, value: number | null, min: number, max: number): number {
  const minutes = integer(field, present(field, value), min, max);
  if (minutes % TABLE_CELL_MINUTES !== 0) throw badInput(field, `must be a multiple of ${TABLE_CELL_MINUTES}`);
  return minutes;
}

/** A local time on the cell grid: HH:MM (or 24:00 to close at midnight). */
function gridTime(field: string, value: string, closing: boolean): number {
  const minutes = closing ? closingMinutes(value) : minutesOfDay(value);
  if (minutes === null) throw badInput(field, closing ? 'must be a local time HH:MM or 24:00' : 'must be a local time HH:MM');
  if (minutes % TABLE_CELL_MINUTES !== 0) throw badInput(field, `must be on a ${TABLE_CELL_MINUTES}-minute boundary`);
  return minutes;
}

const validateRestaurant = {
  name: (value: string | null) => validate.name(value),
  slotMinutes: (value: number | null) => cellMinutes('slotMinutes', value, 5, 240),
  turnMinutes: (value: number | null) => cellMinutes('turnMinutes', value, 5, 720),
  maxPartySize: (value: number | null) => integer('maxPartySize', present('maxPartySize', value), 1, MAX_PARTY),
  holdMinutes: validatePerformance.holdMinutes,
  status: validatePerformance.status,
  detailsSchema: validatePerformance.detailsSchema,
  /** Per ISO weekday, openings with opens < closes on the 5-minute grid, not overlapping one another. */
  openingHours: (value: readonly OpeningHoursData[] | null): OpeningHoursData[] => {
    const hours = present('openingHours', value);
    if (hours.length > 7 * 4) throw badInput('openingHours', 'at most 4 openings per weekday');
    const parsed = hours.map((entry, i) => {
      const weekday = integer(`openingHours[${i}].weekday`, entry.weekday, 1, 7);
      const opens = gridTime(`openingHours[${i}].opens`, entry.opens, false);
      const closes = gridTime(`openingHours[${i}].closes`, entry.closes, true);
      if (closes <= opens) throw badInput(`openingHours[${i}].closes`, 'must be after opens (openings end by midnight)');
      return { weekday, opens, closes, entry: { weekday, opens: entry.opens, closes: entry.closes } };
    });
    const sorted = [...parsed].sort((a, b) => a.weekday - b.weekday || a.opens - b.opens);
    sorted.forEach((hours, i) => {
      const next = sorted[i + 1];
      if (next && next.weekday === hours.weekday && next.opens < hours.closes) {
        throw badInput('openingHours', `openings of weekday ${hours.weekday} overlap`);
      }
    });
    return sorted.map((hours) => hours.entry);
  },
  label: (value: string | null) => text('label', present('label', value), 50),
  covers: (minCovers: number, maxCovers: number) => {
    integer('minCovers', minCovers, 1, MAX_PARTY);
    integer('maxCovers', maxCovers, 1, MAX_PARTY);
    if (maxCovers < minCovers) throw badInput('maxCovers', 'must be at least minCovers');
  },
};

/**
 * Restaurants (VENUES.md): opening hours per weekday, seatings every slotMinutes that
 * take a table for turnMinutes, tables by party size. Guests ask a date's seatings for
 * a party; a hold takes the smallest free table that fits for the whole turn (see
 * HoldService.holdTable). Changing hours or turn time never touches existing bookings:
 * they keep the cells they were booked with.
 */
export class RestaurantService {
  private readonly byVenue = new DataLoader<string, Restaurant[]>(async (venueIds) => {
    const all = await this.em.find(Restaurant, { venue: { $in: [...venueIds] } }, { orderBy: { id: 'asc' } });
    return venueIds.map((id) => all.filter((restaurant) => restaurant.venue.id === id));
  });

  private readonly tablesByRestaurant = new DataLoader<string, DiningTable[]>(async (ids) => {
    const all = await this.em.find(DiningTable, { restaurant: { $in: [...ids] } }, { orderBy: { label: 'asc', id: 'asc' } });
    return ids.map((id) => all.filter((table) => table.restaurant.id === id));
  });

  constructor(
    private readonly em: EntityManager,
    private readonly deps: VenueDeps,
  ) {}

  restaurant(id: string): Promise<Restaurant | null> {
    return isId(id) ? this.em.findOne(Restaurant, id) : Promise.resolve(null);
  }

  restaurantsOf(venue: Venue): Promise<Restaurant[]> {
    return this.byVenue.load(venue.id);
  }

  venueOf(restaurant: Restaurant): Promise<Venue> {
    return restaurant.venue.loadOrFail({ dataloader: true });
  }

  /** By label. */
  tablesOf(restaurant: Restaurant): Promise<DiningTable[]> {
    return this.tablesByRestaurant.load(restaurant.id);
  }

  async createRestaurant(caller: Caller, data: CreateRestaurantData): Promise<Restaurant> {
    const venue = await findVenueManaged(this.em, caller, Venue, data.venueId);
    const restaurant = this.em.create(Restaurant, {
      venue,
      name: validateRestaurant.name(data.name),
      slotMinutes: validateRestaurant.slotMinutes(data.slotMinutes ?? 15),
      turnMinutes: validateRestaurant.turnMinutes(data.turnMinutes ?? 90),
      openingHours: validateRestaurant.openingHours(data.openingHours),
      maxPartySize: validateRestaurant.maxPartySize(data.maxPartySize ?? 8),
      depositPerCoverMinor: parseAmount(data.depositPerCover ?? '0', venue.currency, 'depositPerCover'),
      holdMinutes: validateRestaurant.holdMinutes(data.holdMinutes ?? DEFAULT_HOLD_MINUTES),
      detailsSchema: validateRestaurant.detailsSchema(data.detailsSchema ?? null),
    });
    await this.em.flush();
    return restaurant;
  }

  /** New hours, turn or deposit apply to holds from now on; existing bookings keep their seatings. */
  async updateRestaurant(caller: Caller, data: UpdateRestaurantData): Promise<Restaurant> {
    const restaurant = await findVenueManaged(this.em, caller, Restaurant, data.id);
    const venue = await this.venueOf(restaurant);
    const changes = {
      name: ifGiven(data.name, validateRestaurant.name),
      status: ifGiven(data.status, validateRestaurant.status),
      slotMinutes: ifGiven(data.slotMinutes, validateRestaurant.slotMinutes),
      turnMinutes: ifGiven(data.turnMinutes, validateRestaurant.turnMinutes),
      openingHours: ifGiven(data.openingHours, validateRestaurant.openingHours),
      maxPartySize: ifGiven(data.maxPartySize, validateRestaurant.maxPartySize),
      depositPerCoverMinor: ifGiven(data.depositPerCover, (value) =>
        parseAmount(present('depositPerCover', value), venue.currency, 'depositPerCover'),
      ),
      holdMinutes: ifGiven(data.holdMinutes, validateRestaurant.holdMinutes),
      detailsSchema: ifGiven(data.detailsSchema, validateRestaurant.detailsSchema),
    };
    validate.version(data.version);
    const saved = await saveVersioned(this.em, restaurant, data.version, changes);
    this.deps.offerings.forget(restaurant.id);
    return saved;
  }

  async createDiningTable(caller: Caller, data: CreateDiningTableData): Promise<DiningTable> {
    const restaurant = await this.managedRestaurant(caller, data.restaurantId);
    const label = validateRestaurant.label(data.label);
    validateRestaurant.covers(data.minCovers, data.maxCovers);
    await this.assertLabelFree(restaurant.id, label);
    const table = this.em.create(DiningTable, { restaurant, label, minCovers: data.minCovers, maxCovers: data.maxCovers });
    await this.em.flush();
    this.deps.offerings.forget(restaurant.id);
    return table;
  }

  async updateDiningTable(caller: Caller, data: UpdateDiningTableData): Promise<DiningTable> {
    const table = await this.managedTable(caller, data.id);
    const label = ifGiven(data.label, validateRestaurant.label);
    const minCovers = ifGiven(data.minCovers, (value) => present('minCovers', value)) ?? table.minCovers;
    const maxCovers = ifGiven(data.maxCovers, (value) => present('maxCovers', value)) ?? table.maxCovers;
    validateRestaurant.covers(minCovers, maxCovers);
    if (label !== undefined && label !== table.label) await this.assertLabelFree(table.restaurant.id, label);
    validate.version(data.version);
    const saved = await saveVersioned(this.em, table, data.version, { label, minCovers, maxCovers });
    this.deps.offerings.forget(table.restaurant.id);
    return saved;
  }

  /** Refused (INVALID_STATE) while the table has a booking that has not ended, or is held. */
  async deleteDiningTable(caller: Caller, id: string, version: number): Promise<boolean> {
    const table = await this.managedTable(caller, id);
    validate.version(version);
    const now = this.deps.clock.now();
    const booked = await this.em.count(BookingItem, {
      tableId: table.id,
      live: true,
      endsAt: { $gt: now },
      booking: { status: { $in: [ReservationStatus.PENDING, ReservationStatus.CONFIRMED] } },
    });
    if (booked > 0) throw invalidState('This table has bookings to come: cancel or move them first');
    const cells = await onSeats(this.em, this.deps, table.restaurant.id, () =>
      this.deps.engine.cells(table.restaurant.id, now.getTime()),
    );
    // Cells of seatings that have ended stay sold in the engine: only those to come count.
    const toCome = [...cells.keys()].some((cell) => cell.startsWith(`${table.id}@`) && Number(cell.split('@')[1]) * 60_000 >= now.getTime());
    if (toCome) throw invalidState('This table is held or booked in a seating to come');
    const deleted = await this.em.nativeDelete(DiningTable, { id: table.id, version });
    if (deleted === 0) {
      throw versionConflict('DiningTable', table.id);
    }
    this.deps.offerings.forget(table.restaurant.id);
    return true;
  }

  /** Seatings of the date (still to come) that a party of this size can have, with how many fitting tables are free; none while closed. */
  async availability(restaurant: Restaurant, date: string, partySize: number): Promise<DiningSlotView[]> {
    if (!isLocalDate(date)) throw badInput('date', 'must be a date YYYY-MM-DD');
    integer('partySize', partySize, 1, MAX_PARTY);
    // A closed restaurant takes no new holds: no seating is to be had.
    if (partySize > restaurant.maxPartySize || restaurant.status !== OfferingStatus.ON_SALE) return [];
    const [venue, tables] = await Promise.all([this.venueOf(restaurant), this.tablesOf(restaurant)]);
    const fitting = tablesFor(tables, partySize);
    const now = this.deps.clock.now().getTime();
    const starts = seatingStarts(restaurant, date, venue.timezone).filter((at) => at.getTime() > now);
    if (fitting.length === 0 || starts.length === 0) return [];
    const taken = await this.cellsOf(restaurant.id, date, now);
    return starts
      .map((startsAt) => ({ startsAt, tablesAvailable: freeTables(fitting, startsAt, restaurant.turnMinutes, taken) }))
      .filter((slot) => slot.tablesAvailable > 0);
  }

  /** Every table's seatings (held or booked) on the date, for the tables given or all that have one. */
  async busyTables(restaurantId: string, date: string, tableIds?: ReadonlySet<string>): Promise<TableBusyView[]> {
    const busy = busyIntervals(await this.cellsOf(restaurantId, date, this.deps.clock.now().getTime()));
    const ids = tableIds ?? new Set(busy.keys());
    return [...ids].sort().map((tableId) => ({ tableId, intervals: busy.get(tableId) ?? [] }));
  }

  private cellsOf(restaurantId: string, date: string, now: number): Promise<Map<string, CellState>> {
    return onSeats(this.em, this.deps, restaurantId, () => this.deps.engine.cells(restaurantId, now, [date]));
  }

  private async managedRestaurant(caller: Caller, id: string): Promise<Restaurant> {
    return findVenueManaged(this.em, caller, Restaurant, id);
  }

  private async managedTable(caller: Caller, id: string): Promise<DiningTable> {
    caller.require();
    const table = isId(id) ? await this.em.findOne(DiningTable, id, { populate: ['restaurant'] }) : null;
    if (!table) throw notFound('DiningTable', id);
    caller.requireVenueManager(table.restaurant.getEntity().venue.id);
    return table;
  }

  private async assertLabelFree(restaurantId: string, label: string): Promise<void> {
    if ((await this.em.count(DiningTable, { restaurant: restaurantId, label })) > 0) {
      throw badInput('label', `${label} is already a table of this restaurant`);
    }
  }
}
