import type { FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import DataLoader from 'dataloader';
import { isId } from '../../../entities/id.js';
import { Performance } from '../../../entities/venues/performance.entity.js';
import { SeatingChart } from '../../../entities/venues/seating-chart.entity.js';
import { Venue } from '../../../entities/venues/venue.entity.js';
import type { OfferingStatus } from '../../../entities/venues/offering.js';
import { ifGiven, validate } from '../../catalog/catalog.validation.js';
import type { Caller } from '../../common/caller.js';
import { badInput } from '../../common/errors.js';
import { decodeCursor, encodeCursor, pageSize, toPage, type Page, type PageRequest } from '../../common/pagination.js';
import { saveVersioned } from '../../common/versioning.js';
import type { DetailsSchema } from '../details.js';
import { ChartIndex } from '../seating/chart-index.js';
import { seatIdPrefix, validateChartSections, type SectionInputData } from '../seating/layout.js';
import type { VenueDeps } from '../venue.deps.js';
import { performancePages, type PerformancePageQuery } from './venue-catalog.store.js';
import { findVenueManaged } from './venue-lookup.js';
import {
  DEFAULT_HOLD_MINUTES,
  DEFAULT_MAX_SEATS_PER_HOLD,
  validatePerformance,
  validatePrices,
  type CategoryPriceData,
} from './venue.validation.js';

/** Fields a client may leave out (or, in an update, send as null: refused where the field cannot be empty). */
type Optional<T> = { [K in keyof T]?: T[K] | null };
type Update<T> = { id: string; version: number } & Optional<T>;

export type CreateVenueData = Pick<Venue, 'name' | 'city' | 'timezone' | 'currency'> & Optional<Pick<Venue, 'address'>>;
export type UpdateVenueData = Update<Pick<Venue, 'name' | 'city' | 'address'>>;

export interface CreateSeatingChartData {
  venueId: string;
  name: string;
  sections: readonly SectionInputData[];
}

export type { CategoryPriceData };

export interface CreatePerformanceData {
  venueId: string;
  seatingChartId: string;
  title: string;
  startsAt: Date;
  endsAt: Date;
  prices: readonly CategoryPriceData[];
  holdMinutes?: number | null;
  maxSeatsPerHold?: number | null;
  detailsSchema?: DetailsSchema | null;
}

export type UpdatePerformanceData = Update<{
  title: string;
  status: OfferingStatus;
  prices: readonly CategoryPriceData[];
  holdMinutes: number;
  maxSeatsPerHold: number;
  detailsSchema: DetailsSchema;
}>;

export interface PerformancePageRequest extends PageRequest {
  from?: Date | null;
  to?: Date | null;
}

/** A chart's seats as its layout describes them (the contract's Section, SeatRow, Seat). */
export interface SeatView {
  id: string;
  sectionKey: string;
  row: string;
  number: number;
  category: string;
  accessible: boolean;
}

export interface SeatRowView {
  label: string;
  seats: SeatView[];
}

export interface SectionView {
  key: string;
  name: string;
  category: string;
  seatCount: number;
  rows: SeatRowView[];
}

export interface CategoryPriceView {
  category: string;
  priceMinor: number;
  currency: string;
}

/**
 * Venues, their seating charts and performances. Owns the permission checks: reads are
 * public; createVenue is for admins; every other change is for admins or staff of the
 * venue (`venues` claim), checked after the entity is found, as the hotel catalog does.
 * Staff edits carry the version the client read (VERSION_CONFLICT when stale).
 */
export class VenueCatalogService {
  /** Venue.seatingCharts for every venue of one operation in one query. */
  private readonly chartsByVenue = new DataLoader<string, SeatingChart[]>(async (venueIds) => {
    const charts = await this.em.find(SeatingChart, { venue: { $in: [...venueIds] } }, { orderBy: { id: 'asc' } });
    return venueIds.map((id) => charts.filter((chart) => chart.venue.id === id));
  });

  /** Venue.performances: per venue, one page; the venues asking for the same page are read together. */
  private readonly performancePages = new DataLoader<PageKey, Performance[], string>((keys) => this.readPages(keys), {
    cacheKeyFn: pageKeyOf,
  });

  constructor(
    private readonly em: EntityManager,
    private readonly deps: VenueDeps,
  ) {}

  // ---- reads ----

  venue(id: string): Promise<Venue | null> {
    return isId(id) ? this.em.findOne(Venue, id) : Promise.resolve(null);
  }

  async venues(page: PageRequest & { city?: string | null }): Promise<Page<Venue>> {
    const size = pageSize(page.first);
    const where: FilterQuery<Venue> = {};
    if (page.city != null) where.city = page.city.trim();
    if (page.after != null) where.id = { $gt: decodeCursor(page.after, isId) };
    const rows = await this.em.find(Venue, where, { orderBy: { id: 'asc' }, limit: size + 1 });
    return toPage(rows, size, (venue) => encodeCursor(venue.id));
  }

  seatingChart(id: string): Promise<SeatingChart | null> {
    return isId(id) ? this.em.findOne(SeatingChart, id) : Promise.resolve(null);
  }

  /** In creation order. */
  seatingChartsOf(venue: Venue): Promise<SeatingChart[]> {
    return this.chartsByVenue.load(venue.id);
  }

  performance(id: string): Promise<Performance | null> {
    return isId(id) ? this.em.findOne(Performance, id) : Promise.resolve(null);
  }

  /**
   * The venue's performances starting in [from, to), by start time then id. Batched: the
   * same page of every venue of one operation (a list of venues) is one statement.
   */
  async performancesOf(venue: Venue, page: PerformancePageRequest): Promise<Page<Performance>> {
    const size = pageSize(page.first);
    const after =
      page.after == null ? null : parsePerformanceKey(decodeCursor(page.after, (key) => parsePerformanceKey(key) !== null));
    const query: PerformancePageQuery = { from: page.from ?? null, to: page.to ?? null, after, limit: size + 1 };
    const rows = await this.performancePages.load({ venueId: venue.id, query });
    return toPage(rows, size, (performance) => encodeCursor(performanceKey(performance)));
  }

  /** Batched across the operation by MikroORM's dataloader. */
  venueOf(owner: SeatingChart | Performance): Promise<Venue> {
    return owner.venue.loadOrFail({ dataloader: true });
  }

  chartOf(performance: Performance): Promise<SeatingChart> {
    return performance.seatingChart.loadOrFail({ dataloader: true });
  }

  /** Every seat of the chart, by section and row, in the layout's order. */
  sectionsOf(chart: SeatingChart): SectionView[] {
    return chart.layout.sections.map((section) => {
      let seatCount = 0;
      const rows = section.rows.map((row) => {
        const prefix = seatIdPrefix(section.key, row.label);
        const accessible = new Set(row.accessible);
        const seats: SeatView[] = new Array(row.seats);
        for (let i = 0; i < row.seats; i++) {
          const number = row.firstNumber + i;
          seats[i] = {
            id: prefix + number,
            sectionKey: section.key,
            row: row.label,
            number,
            category: section.category,
            accessible: accessible.has(number),
          };
        }
        seatCount += row.seats;
        return { label: row.label, seats };
      });
      return { key: section.key, name: section.name, category: section.category, seatCount, rows };
    });
  }

  /** One price per category of the chart, in the chart's order of categories. */
  async pricesOf(performance: Performance): Promise<CategoryPriceView[]> {
    const [chart, venue] = await Promise.all([this.chartIndexOf(performance), this.venueOf(performance)]);
    return chart.categories
      .filter((category) => performance.prices[category] !== undefined)
      .map((category) => ({ category, priceMinor: performance.prices[category], currency: venue.currency }));
  }

  /**
   * The seat index of the performance's chart (cached per server). Loaded through a
   * fork: the cache reads only the layout, and a partly loaded chart must not stand in
   * for the whole one in this operation's context.
   */
  chartIndexOf(performance: Performance): Promise<ChartIndex> {
    return this.deps.charts.get(this.em.fork(), performance.seatingChart.id);
  }

  // ---- venues ----

  async createVenue(caller: Caller, data: CreateVenueData): Promise<Venue> {
    caller.requireAdmin();
    const venue = this.em.create(Venue, {
      name: validate.name(data.name),
      city: validate.city(data.city),
      address: validate.address(data.address ?? null),
      timezone: validate.timezone(data.timezone),
      currency: validate.currency(data.currency),
    });
    await this.em.flush();
    return venue;
  }

  async updateVenue(caller: Caller, data: UpdateVenueData): Promise<Venue> {
    const venue = await findVenueManaged(this.em, caller, Venue, data.id);
    const changes = {
      name: ifGiven(data.name, validate.name),
      city: ifGiven(data.city, validate.city),
      address: ifGiven(data.address, validate.address),
    };
    validate.version(data.version);
    return saveVersioned(this.em, venue, data.version, changes);
  }

  // ---- seating charts ----

  /** The layout is one JSON row (no row per seat): 200,000 seats are stored in one insert. */
  async createSeatingChart(caller: Caller, data: CreateSeatingChartData): Promise<SeatingChart> {
    const venue = await findVenueManaged(this.em, caller, Venue, data.venueId);
    const name = validate.name(data.name);
    const layout = validateChartSections(data.sections);
    const index = new ChartIndex(layout);
    const chart = this.em.create(SeatingChart, { venue, name, layout, seatCount: index.seatCount });
    await this.em.flush();
    this.deps.charts.put(chart.id, index);
    return chart;
  }

  // ---- performances ----

  async createPerformance(caller: Caller, data: CreatePerformanceData): Promise<Performance> {
    const venue = await findVenueManaged(this.em, caller, Venue, data.venueId);
    const title = validatePerformance.title(data.title);
    validatePerformance.times(data.startsAt, data.endsAt);
    const holdMinutes = validatePerformance.holdMinutes(data.holdMinutes ?? DEFAULT_HOLD_MINUTES);
    const maxSeatsPerHold = validatePerformance.maxSeatsPerHold(data.maxSeatsPerHold ?? DEFAULT_MAX_SEATS_PER_HOLD);
    const chart = await this.chartOfVenue(venue, data.seatingChartId);
    const prices = validatePrices(data.prices, chart.categories, venue.currency);
    const detailsSchema = validatePerformance.detailsSchema(data.detailsSchema ?? null);
    const performance = this.em.create(Performance, {
      venue,
      seatingChart: data.seatingChartId,
      title,
      startsAt: data.startsAt,
      endsAt: data.endsAt,
      prices,
      holdMinutes,
      maxSeatsPerHold,
      detailsSchema,
    });
    await this.em.flush();
    return performance;
  }

  /** New prices apply to holds made from now on: seats already held or sold keep theirs. */
  async updatePerformance(caller: Caller, data: UpdatePerformanceData): Promise<Performance> {
    const performance = await findVenueManaged(this.em, caller, Performance, data.id);
    const changes = {
      title: ifGiven(data.title, validatePerformance.title),
      status: ifGiven(data.status, validatePerformance.status),
      holdMinutes: ifGiven(data.holdMinutes, validatePerformance.holdMinutes),
      maxSeatsPerHold: ifGiven(data.maxSeatsPerHold, validatePerformance.maxSeatsPerHold),
      prices: data.prices === undefined ? undefined : await this.validPrices(performance, data.prices),
      detailsSchema: ifGiven(data.detailsSchema, validatePerformance.detailsSchema),
    };
    validate.version(data.version);
    const saved = await saveVersioned(this.em, performance, data.version, changes);
    this.deps.offerings.forget(performance.id);
    return saved;
  }

  private async validPrices(performance: Performance, prices: readonly CategoryPriceData[] | null) {
    const [chart, venue] = await Promise.all([this.chartIndexOf(performance), this.venueOf(performance)]);
    return validatePrices(prices, chart.categories, venue.currency);
  }

  /** One statement for the ids of every page asked with the same bounds, one for their rows. */
  private async readPages(keys: readonly PageKey[]): Promise<Performance[][]> {
    const byQuery = new Map<string, { query: PerformancePageQuery; venueIds: string[] }>();
    for (const { venueId, query } of keys) {
      const queryKey = JSON.stringify(query);
      const group = byQuery.get(queryKey) ?? { query, venueIds: [] };
      group.venueIds.push(venueId);
      byQuery.set(queryKey, group);
    }
    const pages = new Map<string, Performance[]>();
    for (const { query, venueIds } of byQuery.values()) {
      const rows = await performancePages(this.em, venueIds, query);
      const loaded = rows.length ? await this.em.find(Performance, { id: { $in: rows.map((row) => row.id) } }) : [];
      const byId = new Map(loaded.map((performance) => [performance.id, performance]));
      for (const venueId of venueIds) pages.set(pageKeyOf({ venueId, query }), []);
      for (const row of rows) pages.get(pageKeyOf({ venueId: row.venue_id, query }))!.push(byId.get(row.id)!);
    }
    return keys.map((key) => pages.get(pageKeyOf(key))!);
  }

  /** A chart of this venue, or BAD_USER_INPUT on seatingChartId (unknown ids and other venues' charts alike). */
  private async chartOfVenue(venue: Venue, chartId: string): Promise<ChartIndex> {
    const ofVenue = isId(chartId) && (await this.em.count(SeatingChart, { id: chartId, venue: venue.id })) === 1;
    if (!ofVenue) throw badInput('seatingChartId', 'not a seating chart of this venue');
    return this.deps.charts.get(this.em.fork(), chartId);
  }
}

interface PageKey {
  venueId: string;
  query: PerformancePageQuery;
}

const pageKeyOf = ({ venueId, query }: PageKey) => `${venueId}|${JSON.stringify(query)}`;

/** Performances page by (startsAt, id): the cursor is both. */
const performanceKey = (performance: Performance) => `${performance.startsAt.toISOString()}|${performance.id}`;

function parsePerformanceKey(key: string): { startsAt: Date; id: string } | null {
  const [time, id, ...rest] = key.split('|');
  const startsAt = new Date(time);
  if (rest.length > 0 || id === undefined || !isId(id) || Number.isNaN(startsAt.getTime())) return null;
  return startsAt.toISOString() === time ? { startsAt, id } : null;
}
