import { randomUUID } from 'node:crypto';
import type { GraphQLClient } from './graphql.js';
import { unique } from './catalog.js';

export const VENUE_FIELDS = 'id name city address timezone currency version';
export const CHART_FIELDS = 'id name version seatCount';
export const PERFORMANCE_FIELDS =
  'id title startsAt endsAt status holdMinutes maxSeatsPerHold detailsSchema version prices { category price { amount currency } }';

export const CREATE_VENUE = `mutation($input: CreateVenueInput!) { createVenue(input: $input) { ${VENUE_FIELDS} } }`;
export const UPDATE_VENUE = `mutation($input: UpdateVenueInput!) { updateVenue(input: $input) { ${VENUE_FIELDS} } }`;
export const CREATE_CHART = `mutation($input: CreateSeatingChartInput!) { createSeatingChart(input: $input) { ${CHART_FIELDS} } }`;
export const CREATE_PERFORMANCE = `mutation($input: CreatePerformanceInput!) { createPerformance(input: $input) { ${PERFORMANCE_FIELDS} } }`;
export const UPDATE_PERFORMANCE = `mutation($input: UpdatePerformanceInput!) { updatePerformance(input: $input) { ${PERFORMANCE_FIELDS} } }`;
export const BLOCK_SEATS = `mutation($input: BlockSeatsInput!) { blockSeats(input: $input) { seatId status } }`;
export const VENUE = `query($id: ID!) { venue(id: $id) { ${VENUE_FIELDS} seatingCharts { ${CHART_FIELDS} } } }`;
export const PERFORMANCE = `query($id: ID!) { performance(id: $id) { ${PERFORMANCE_FIELDS} venue { id } seatingChart { id name } } }`;
export const SEAT_MAP = `query($id: ID!, $sectionKeys: [String!], $status: SeatStatus) {
  performance(id: $id) {
    available
    sections { key name category capacity held sold blocked available price { amount currency } }
    seats(sectionKeys: $sectionKeys, status: $status) { seatId status }
  }
}`;

export interface VenueData {
  id: string;
  name: string;
  city: string;
  address: string | null;
  timezone: string;
  currency: string;
  version: number;
}

export interface ChartData {
  id: string;
  name: string;
  version: number;
  seatCount: number;
}

export interface PerformanceData {
  id: string;
  title: string;
  startsAt: string;
  endsAt: string;
  status: 'ON_SALE' | 'CLOSED';
  holdMinutes: number;
  maxSeatsPerHold: number;
  detailsSchema: Record<string, unknown> | null;
  version: number;
  prices: { category: string; price: { amount: string; currency: string } }[];
}

export interface SectionSpec {
  key: string;
  category: string;
  rows: number;
  seatsPerRow: number;
  name?: string;
  /** Accessible seat numbers, the same in every row. */
  accessible?: number[];
}

/** The contract's SectionInput list for sections of equal rows labelled R1, R2, ... */
export function sectionsInput(specs: SectionSpec[]) {
  return specs.map((spec) => ({
    key: spec.key,
    name: spec.name ?? `Section ${spec.key}`,
    category: spec.category,
    rows: Array.from({ length: spec.rows }, (_, i) => ({
      label: `R${i + 1}`,
      seats: spec.seatsPerRow,
      ...(spec.accessible ? { accessible: spec.accessible } : {}),
    })),
  }));
}

/** A small chart: ORCH (category A, 3 rows of 10) and BAL (category B, 2 rows of 8): 46 seats. */
export const SMALL_CHART: SectionSpec[] = [
  { key: 'ORCH', category: 'A', rows: 3, seatsPerRow: 10, accessible: [1] },
  { key: 'BAL', category: 'B', rows: 2, seatsPerRow: 8 },
];

/**
 * The SectionInput list of a chart of `seats` seats: sections S1, S2, ... of up to
 * 25,000 seats in rows of up to 500, categories alternating A and B.
 */
export function largeChart(seats: number) {
  const sections = [];
  for (let left = seats, i = 0; left > 0; i++) {
    const inSection = Math.min(left, 25_000);
    const rows = [];
    for (let rowLeft = inSection, r = 1; rowLeft > 0; r++, rowLeft -= 500) {
      rows.push({ label: `R${r}`, seats: Math.min(rowLeft, 500) });
    }
    sections.push({ key: `S${i + 1}`, name: `Section ${i + 1}`, category: i % 2 === 0 ? 'A' : 'B', rows });
    left -= inSection;
  }
  return sections;
}

export function venueInput(overrides: Record<string, unknown> = {}) {
  return { name: unique('Venue'), city: unique('City'), timezone: 'Europe/Paris', currency: 'EUR', ...overrides };
}

export async function createVenue(
  client: GraphQLClient,
  adminToken: string,
  overrides: Record<string, unknown> = {},
): Promise<VenueData> {
  return (await client.ok<{ createVenue: VenueData }>(CREATE_VENUE, { input: venueInput(overrides) }, adminToken)).createVenue;
}

export async function createChart(
  client: GraphQLClient,
  token: string,
  venueId: string,
  sections: SectionSpec[] | ReturnType<typeof sectionsInput> = SMALL_CHART,
  name = unique('Chart'),
): Promise<ChartData> {
  const input = { venueId, name, sections: isSpecs(sections) ? sectionsInput(sections) : sections };
  return (await client.ok<{ createSeatingChart: ChartData }>(CREATE_CHART, { input }, token)).createSeatingChart;
}

const isSpecs = (value: unknown[]): value is SectionSpec[] => value.length > 0 && 'seatsPerRow' in (value[0] as object);

/** Starts a day from now, lasts three hours. */
export function performanceInput(venueId: string, seatingChartId: string, overrides: Record<string, unknown> = {}) {
  const startsAt = new Date(Date.now() + 24 * 3600_000);
  return {
    venueId,
    seatingChartId,
    title: unique('Show'),
    startsAt: startsAt.toISOString(),
    endsAt: new Date(startsAt.getTime() + 3 * 3600_000).toISOString(),
    prices: [
      { category: 'A', amount: '80.00' },
      { category: 'B', amount: '45.50' },
    ],
    ...overrides,
  };
}

export async function createPerformance(
  client: GraphQLClient,
  token: string,
  venueId: string,
  seatingChartId: string,
  overrides: Record<string, unknown> = {},
): Promise<PerformanceData> {
  const input = performanceInput(venueId, seatingChartId, overrides);
  return (await client.ok<{ createPerformance: PerformanceData }>(CREATE_PERFORMANCE, { input }, token)).createPerformance;
}

/** A venue with the small chart and one performance on it, made by an admin. */
export async function seatedPerformance(client: GraphQLClient, adminToken: string, sections: SectionSpec[] = SMALL_CHART) {
  const venue = await createVenue(client, adminToken);
  const chart = await createChart(client, adminToken, venue.id, sections);
  const performance = await createPerformance(client, adminToken, venue.id, chart.id);
  return { venue, chart, performance };
}

/** A staff token for these venues (a sub of its own). */
export const staffClaims = (venues: string[]) => ({ sub: `staff-${randomUUID().slice(0, 8)}`, role: 'staff' as const, venues });
