import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Performance } from '../../src/entities/venues/performance.entity.js';
import { SeatingChart } from '../../src/entities/venues/seating-chart.entity.js';
import { Venue } from '../../src/entities/venues/venue.entity.js';
import { validateDetails } from '../../src/services/venues/details.js';
import { unique } from '../helpers/catalog.js';
import { errorCode, type GraphQLResult } from '../helpers/graphql.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  BLOCK_SEATS,
  CREATE_CHART,
  CREATE_PERFORMANCE,
  CREATE_VENUE,
  createChart,
  createPerformance,
  createVenue,
  largeChart,
  PERFORMANCE,
  performanceInput,
  sectionsInput,
  seatedPerformance,
  SMALL_CHART,
  staffClaims,
  UPDATE_PERFORMANCE,
  UPDATE_VENUE,
  VENUE,
  venueInput,
  type PerformanceData,
  type VenueData,
} from '../helpers/venues.js';

const BAD = 'BAD_USER_INPUT';
const MISSING = '0190a000-0000-7000-8000-000000000000';

let server: TestServer;
let admin: string;
let guest: string;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.token({ sub: 'venue-admin', role: 'admin' });
  guest = await server.token({ sub: 'venue-guest', role: 'guest' });
});

afterAll(() => server.stop());

const staffOf = (...venueIds: string[]) => server.token(staffClaims(venueIds));

/** BAD_USER_INPUT naming `field` in extensions.field. */
function expectBadField(result: GraphQLResult, field: string) {
  expect(errorCode(result)).toBe(BAD);
  expect(result.errors![0].extensions!.field).toBe(field);
}

describe('venues', () => {
  it('creates a venue (normalised) and reads it back, with its charts, through a fresh context', async () => {
    const venue = await createVenue(server.client, admin, { address: '  1 Place du Châtelet ', timezone: 'europe/paris' });
    expect(venue).toMatchObject({ address: '1 Place du Châtelet', timezone: 'Europe/Paris', currency: 'EUR', version: 1 });
    const stored = await server.orm.em.fork().findOneOrFail(Venue, venue.id);
    expect(stored).toMatchObject({ name: venue.name, version: 1 });

    const chart = await createChart(server.client, admin, venue.id);
    const { venue: read } = await server.client.ok(VENUE, { id: venue.id });
    expect(read).toEqual({ ...venue, seatingCharts: [chart] });
  });

  it('updates the given fields with the version, refuses a stale one, and bumps the version on a no-op', async () => {
    const venue = await createVenue(server.client, admin, { address: 'Somewhere' });
    const staff = await staffOf(venue.id);
    const { updateVenue } = await server.client.ok(
      UPDATE_VENUE,
      { input: { id: venue.id, version: 1, name: 'Renamed', address: null } },
      staff,
    );
    expect(updateVenue).toEqual({ ...venue, name: 'Renamed', address: null, version: 2 });

    const stale = await server.client.request(UPDATE_VENUE, { input: { id: venue.id, version: 1, city: 'Other' } }, staff);
    expect(errorCode(stale)).toBe('VERSION_CONFLICT');
    expect(await server.orm.em.fork().findOneOrFail(Venue, venue.id)).toMatchObject({ city: venue.city, version: 2 });

    const same = await server.client.ok(UPDATE_VENUE, { input: { id: venue.id, version: 2, name: 'Renamed' } }, staff);
    expect(same.updateVenue.version).toBe(3);
  });

  it('answers null for an unknown or malformed id, and NOT_FOUND when changing one', async () => {
    for (const id of [MISSING, 'not-an-id']) {
      expect((await server.client.ok(VENUE, { id })).venue).toBeNull();
      expect((await server.client.ok(PERFORMANCE, { id })).performance).toBeNull();
      expect((await server.client.ok(`query($id: ID!) { seatingChart(id: $id) { id } }`, { id })).seatingChart).toBeNull();
      const update = await server.client.request(UPDATE_VENUE, { input: { id, version: 1, name: 'x' } }, admin);
      expect(errorCode(update)).toBe('NOT_FOUND');
      const chart = await server.client.request(CREATE_CHART, { input: { venueId: id, name: 'x', sections: sectionsInput(SMALL_CHART) } }, admin);
      expect(errorCode(chart)).toBe('NOT_FOUND');
      const performance = await server.client.request(CREATE_PERFORMANCE, { input: performanceInput(id, MISSING) }, admin);
      expect(errorCode(performance)).toBe('NOT_FOUND');
      const updatePerformance = await server.client.request(UPDATE_PERFORMANCE, { input: { id, version: 1, title: 'x' } }, admin);
      expect(errorCode(updatePerformance)).toBe('NOT_FOUND');
      const block = await server.client.request(BLOCK_SEATS, { input: { performanceId: id, seatIds: ['ORCH-R1-1'], blocked: true } }, admin);
      expect(errorCode(block)).toBe('NOT_FOUND');
    }
  });

  it('lists venues by cursor, optionally of one city', async () => {
    const city = unique('Pagination city');
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await createVenue(server.client, admin, { city }));
    const LIST = `query($first: Int, $after: String, $city: String) {
      venues(first: $first, after: $after, city: $city) { edges { cursor node { id city } } pageInfo { hasNextPage endCursor } }
    }`;
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const { venues }: any = await server.client.ok(LIST, { first: 2, after, city: ` ${city} ` });
      seen.push(...venues.edges.map((edge: any) => edge.node.id));
      expect(venues.edges.every((edge: any) => edge.node.city === city)).toBe(true);
      if (!venues.pageInfo.hasNextPage) break;
      after = venues.pageInfo.endCursor;
    }
    expect(seen).toEqual(made.map((venue) => venue.id));
    expect(errorCode(await server.client.request(LIST, { after: 'bogus' }))).toBe(BAD);
    expect(errorCode(await server.client.request(LIST, { first: 101 }))).toBe(BAD);
  });

  it('refuses invalid venue fields, naming the field, and writes nothing', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ name: '' }, 'name'],
      [{ name: '   ' }, 'name'],
      [{ name: 'x'.repeat(201) }, 'name'],
      [{ city: '' }, 'city'],
      [{ city: 'x'.repeat(201) }, 'city'],
      [{ timezone: 'Mars/Olympus' }, 'timezone'],
      [{ timezone: 'UTC+1' }, 'timezone'],
      [{ currency: 'EURO' }, 'currency'],
      [{ currency: 'eur' }, 'currency'],
      [{ currency: 'XYZ' }, 'currency'],
    ];
    for (const [overrides, field] of cases) {
      const address = unique('marker');
      const result = await server.client.request(CREATE_VENUE, { input: venueInput({ address, ...overrides }) }, admin);
      expectBadField(result, field);
      expect(await server.orm.em.fork().count(Venue, { address })).toBe(0);
    }
    expectBadField(await server.client.request(CREATE_VENUE, { input: venueInput({ address: 'x'.repeat(501) }) }, admin), 'address');
    const long = await createVenue(server.client, admin, { name: 'x'.repeat(200), address: 'y'.repeat(500) });
    expect(long.name).toHaveLength(200);

    const venue = await createVenue(server.client, admin);
    for (const [changes, field] of [[{ name: null }, 'name'], [{ city: ' ' }, 'city'], [{ address: 'x'.repeat(501) }, 'address']] as const) {
      const result = await server.client.request(UPDATE_VENUE, { input: { id: venue.id, version: 1, ...changes } }, admin);
      expectBadField(result, field);
    }
    expect((await server.client.ok(VENUE, { id: venue.id })).venue).toMatchObject({ ...venue, version: 1 });
  });
});

describe('seating charts', () => {
  it('derives sections, rows and seats from the layout', async () => {
    const venue = await createVenue(server.client, admin);
    const sections = [
      { key: 'ORCH', name: ' Orchestra ', category: 'VIP', rows: [{ label: 'A', seats: 3, accessible: [2] }, { label: 'B', seats: 2, firstNumber: 101 }] },
      { key: 'BAL-L', name: 'Balcony left', category: 'B', rows: [{ label: '1', seats: 1, firstNumber: 0 }] },
    ];
    const chart = await createChart(server.client, admin, venue.id, sections, 'Main hall');
    expect(chart).toMatchObject({ name: 'Main hall', seatCount: 6, version: 1 });
    const { seatingChart } = await server.client.ok(
      `query($id: ID!) { seatingChart(id: $id) { id name seatCount venue { id }
        sections { key name category seatCount rows { label seats { id sectionKey row number category accessible } } } } }`,
      { id: chart.id },
    );
    const seat = (sectionKey: string, row: string, number: number, category: string, accessible = false) => ({
      id: `${sectionKey}-${row}-${number}`, sectionKey, row, number, category, accessible,
    });
    expect(seatingChart).toEqual({
      id: chart.id,
      name: 'Main hall',
      seatCount: 6,
      venue: { id: venue.id },
      sections: [
        {
          key: 'ORCH', name: 'Orchestra', category: 'VIP', seatCount: 5,
          rows: [
            { label: 'A', seats: [seat('ORCH', 'A', 1, 'VIP'), seat('ORCH', 'A', 2, 'VIP', true), seat('ORCH', 'A', 3, 'VIP')] },
            { label: 'B', seats: [seat('ORCH', 'B', 101, 'VIP'), seat('ORCH', 'B', 102, 'VIP')] },
          ],
        },
        { key: 'BAL-L', name: 'Balcony left', category: 'B', seatCount: 1, rows: [{ label: '1', seats: [seat('BAL-L', '1', 0, 'B')] }] },
      ],
    });
  });

  it('takes 200,000 seats as one row, and refuses 200,001', async () => {
    const venue = await createVenue(server.client, admin);
    const started = Date.now();
    const chart = await createChart(server.client, admin, venue.id, largeChart(200_000));
    const elapsed = Date.now() - started;
    expect(chart.seatCount).toBe(200_000);
    expect(elapsed).toBeLessThan(10_000);
    const stored = await server.orm.em.fork().findOneOrFail(SeatingChart, chart.id);
    expect(stored.seatCount).toBe(200_000);

    const over = largeChart(200_000);
    over.at(-1)!.rows.push({ label: 'EXTRA', seats: 1 });
    const name = unique('Too big');
    const refused = await server.client.request(CREATE_CHART, { input: { venueId: venue.id, name, sections: over } }, admin);
    expectBadField(refused, 'sections');
    expect(await server.orm.em.fork().count(SeatingChart, { name })).toBe(0);
  });

  it('refuses a bad layout naming the field', async () => {
    const venue = await createVenue(server.client, admin);
    const row = (label: string, seats = 5) => ({ label, seats });
    const cases: [unknown[], string][] = [
      [[], 'sections'],
      [[{ key: 'A', name: 'A', category: 'A', rows: [row('1')] }, { key: 'A', name: 'B', category: 'A', rows: [row('1')] }], 'sections[1].key'],
      [[{ key: 'A', name: 'A', category: 'A', rows: [row('1'), row('1')] }], 'sections[0].rows[1].label'],
      [[{ key: 'A', name: 'A', category: 'A', rows: [row('1', 0)] }], 'sections[0].rows[0].seats'],
      [[{ key: 'A', name: 'A', category: 'A', rows: [] }], 'sections[0].rows'],
      [[{ key: 'A B', name: 'A', category: 'A', rows: [row('1')] }], 'sections[0].key'],
      [[{ key: 'A', name: 'A', category: 'A', rows: [{ label: '1', seats: 3, accessible: [4] }] }], 'sections[0].rows[0].accessible[0]'],
    ];
    for (const [sections, field] of cases) {
      const name = unique('Bad chart');
      expectBadField(await server.client.request(CREATE_CHART, { input: { venueId: venue.id, name, sections } }, admin), field);
      expect(await server.orm.em.fork().count(SeatingChart, { name })).toBe(0);
    }
    const blank = await server.client.request(CREATE_CHART, { input: { venueId: venue.id, name: ' ', sections: sectionsInput(SMALL_CHART) } }, admin);
    expectBadField(blank, 'name');
  });
});

describe('performances', () => {
  let venue: VenueData;
  let chartId: string;

  beforeAll(async () => {
    venue = await createVenue(server.client, admin);
    chartId = (await createChart(server.client, admin, venue.id)).id;
  });

  it('creates with defaults, prices in the venue currency in chart order, and reads back with venue and chart', async () => {
    const created = await createPerformance(server.client, admin, venue.id, chartId, {
      prices: [{ category: 'B', amount: '45.5' }, { category: 'A', amount: '80' }],
    });
    expect(created).toMatchObject({
      status: 'ON_SALE', holdMinutes: 10, maxSeatsPerHold: 10, detailsSchema: null, version: 1,
      prices: [
        { category: 'A', price: { amount: '80.00', currency: 'EUR' } },
        { category: 'B', price: { amount: '45.50', currency: 'EUR' } },
      ],
    });
    const stored = await server.orm.em.fork().findOneOrFail(Performance, created.id);
    expect(stored.prices).toEqual({ A: 8000, B: 4550 });
    const { performance } = await server.client.ok(PERFORMANCE, { id: created.id });
    expect(performance).toMatchObject({ ...created, venue: { id: venue.id }, seatingChart: { id: chartId } });
  });

  it('parses prices with the currency precision (JPY has none)', async () => {
    const yen = await createVenue(server.client, admin, { currency: 'JPY', timezone: 'Asia/Tokyo' });
    const chart = await createChart(server.client, admin, yen.id);
    const prices = (a: string) => [{ category: 'A', amount: a }, { category: 'B', amount: '5000' }];
    const made = await createPerformance(server.client, admin, yen.id, chart.id, { prices: prices('12000') });
    expect(made.prices[0].price).toEqual({ amount: '12000', currency: 'JPY' });
    const refused = await server.client.request(CREATE_PERFORMANCE, { input: performanceInput(yen.id, chart.id, { prices: prices('10.5') }) }, admin);
    expectBadField(refused, 'prices[0].amount');
  });

  it('wants exactly one price per category of the chart', async () => {
    const cases: [{ category: string; amount: string }[], string, string][] = [
      [[{ category: 'A', amount: '10' }], 'prices', 'B'],
      [[{ category: 'A', amount: '10' }, { category: 'B', amount: '5' }, { category: 'VIP', amount: '90' }], 'prices[2].category', 'VIP'],
      [[{ category: 'A', amount: '10' }, { category: 'A', amount: '12' }, { category: 'B', amount: '5' }], 'prices[1].category', 'A'],
      [[{ category: 'A', amount: '-1' }, { category: 'B', amount: '5' }], 'prices[0].amount', ''],
      [[{ category: 'A', amount: '1.234' }, { category: 'B', amount: '5' }], 'prices[0].amount', ''],
      [[], 'prices', 'A'],
    ];
    for (const [prices, field, category] of cases) {
      const title = unique('Priced');
      const result = await server.client.request(CREATE_PERFORMANCE, { input: performanceInput(venue.id, chartId, { title, prices }) }, admin);
      expectBadField(result, field);
      if (category) expect(result.errors![0].extensions!.category).toBe(category);
      expect(await server.orm.em.fork().count(Performance, { title })).toBe(0);
    }
  });

  it('refuses bad fields, naming them, and a chart that is not the venue\'s', async () => {
    const start = new Date(Date.now() + 86_400_000);
    const other = await createVenue(server.client, admin);
    const otherChart = await createChart(server.client, admin, other.id);
    const cases: [Record<string, unknown>, string][] = [
      [{ title: '' }, 'title'],
      [{ title: 'x'.repeat(201) }, 'title'],
      [{ startsAt: start.toISOString(), endsAt: start.toISOString() }, 'endsAt'],
      [{ startsAt: start.toISOString(), endsAt: new Date(start.getTime() - 1000).toISOString() }, 'endsAt'],
      [{ holdMinutes: 0 }, 'holdMinutes'],
      [{ holdMinutes: 121 }, 'holdMinutes'],
      [{ maxSeatsPerHold: 0 }, 'maxSeatsPerHold'],
      [{ maxSeatsPerHold: 101 }, 'maxSeatsPerHold'],
      [{ seatingChartId: otherChart.id }, 'seatingChartId'],
      [{ seatingChartId: MISSING }, 'seatingChartId'],
      [{ seatingChartId: 'nope' }, 'seatingChartId'],
    ];
    for (const [overrides, field] of cases) {
      const title = (overrides.title as string | undefined) ?? unique('Refused');
      const result = await server.client.request(CREATE_PERFORMANCE, { input: performanceInput(venue.id, chartId, { ...overrides, title }) }, admin);
      expectBadField(result, field);
    }
    const limits = await createPerformance(server.client, admin, venue.id, chartId, { holdMinutes: 120, maxSeatsPerHold: 100, title: 'x'.repeat(200) });
    expect(limits).toMatchObject({ holdMinutes: 120, maxSeatsPerHold: 100 });
  });

  it('takes a valid detailsSchema and refuses one that is not a usable JSON Schema', async () => {
    const schema = {
      type: 'object',
      required: ['attendees'],
      properties: { attendees: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1 } } } } },
    };
    const made = await createPerformance(server.client, admin, venue.id, chartId, { detailsSchema: schema });
    expect(made.detailsSchema).toEqual(schema);

    const bad = [
      { type: 'objekt' },
      { type: 'object', requried: ['name'] },
      { $ref: 'https://example.com/schema.json' },
      { type: 'string', pattern: '(' },
      { type: 'string', format: 'no-such-format' },
      { $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' },
    ];
    for (const detailsSchema of bad) {
      const title = unique('Schema');
      const result = await server.client.request(CREATE_PERFORMANCE, { input: performanceInput(venue.id, chartId, { title, detailsSchema }) }, admin);
      expectBadField(result, 'detailsSchema');
      expect(result.errors![0].message).toMatch(/detailsSchema: .+/);
      expect(await server.orm.em.fork().count(Performance, { title })).toBe(0);
    }
    const notObject = await server.client.request(CREATE_PERFORMANCE, { input: performanceInput(venue.id, chartId, { detailsSchema: [1] }) }, admin);
    expect(errorCode(notObject)).toBe(BAD);
  });

  it('updates with the version: title, status, prices, limits, schema; stale is VERSION_CONFLICT', async () => {
    const made = await createPerformance(server.client, admin, venue.id, chartId, { detailsSchema: { type: 'object' } });
    const staff = await staffOf(venue.id);
    const { updatePerformance } = await server.client.ok<{ updatePerformance: PerformanceData }>(
      UPDATE_PERFORMANCE,
      {
        input: {
          id: made.id, version: 1, title: 'Renamed', status: 'CLOSED', holdMinutes: 15, maxSeatsPerHold: 4, detailsSchema: null,
          prices: [{ category: 'A', amount: '99.99' }, { category: 'B', amount: '1' }],
        },
      },
      staff,
    );
    expect(updatePerformance).toEqual({
      ...made, title: 'Renamed', status: 'CLOSED', holdMinutes: 15, maxSeatsPerHold: 4, detailsSchema: null, version: 2,
      prices: [
        { category: 'A', price: { amount: '99.99', currency: 'EUR' } },
        { category: 'B', price: { amount: '1.00', currency: 'EUR' } },
      ],
    });

    const stale = await server.client.request(UPDATE_PERFORMANCE, { input: { id: made.id, version: 1, title: 'Stale' } }, staff);
    expect(errorCode(stale)).toBe('VERSION_CONFLICT');
    // The same prices again change nothing but still take the version.
    const same = await server.client.ok(
      UPDATE_PERFORMANCE,
      { input: { id: made.id, version: 2, prices: [{ category: 'B', amount: '1' }, { category: 'A', amount: '99.99' }] } },
      staff,
    );
    expect(same.updatePerformance.version).toBe(3);
    expect(await server.orm.em.fork().findOneOrFail(Performance, made.id)).toMatchObject({ title: 'Renamed', version: 3 });

    const refusals: [Record<string, unknown>, string][] = [
      [{ title: null }, 'title'],
      [{ status: null }, 'status'],
      [{ holdMinutes: 200 }, 'holdMinutes'],
      [{ maxSeatsPerHold: null }, 'maxSeatsPerHold'],
      [{ prices: [{ category: 'A', amount: '1' }] }, 'prices'],
      [{ prices: null }, 'prices'],
      [{ detailsSchema: { type: 7 } }, 'detailsSchema'],
    ];
    for (const [changes, field] of refusals) {
      expectBadField(await server.client.request(UPDATE_PERFORMANCE, { input: { id: made.id, version: 3, ...changes } }, staff), field);
    }
    expect(await server.orm.em.fork().findOneOrFail(Performance, made.id)).toMatchObject({ version: 3 });
  });

  it('lists a venue\'s performances by start time, within [from, to), by cursor', async () => {
    const own = await createVenue(server.client, admin);
    const chart = await createChart(server.client, admin, own.id);
    const base = Date.UTC(2031, 0, 1, 19);
    const at = (hours: number) => new Date(base + hours * 3600_000).toISOString();
    const made: PerformanceData[] = [];
    for (const hours of [48, 0, 24, 0, 72]) {
      made.push(await createPerformance(server.client, admin, own.id, chart.id, { startsAt: at(hours), endsAt: at(hours + 2) }));
    }
    const byStart = [made[1], made[3], made[2], made[0], made[4]].map((p) => p.id);
    const LIST = `query($id: ID!, $from: DateTime, $to: DateTime, $first: Int, $after: String) {
      venue(id: $id) { performances(from: $from, to: $to, first: $first, after: $after) {
        edges { cursor node { id startsAt } } pageInfo { hasNextPage endCursor } } } }`;
    const collect = async (vars: Record<string, unknown>) => {
      const ids: string[] = [];
      let after: string | null = null;
      for (;;) {
        const { venue }: any = await server.client.ok(LIST, { id: own.id, first: 2, after, ...vars });
        ids.push(...venue.performances.edges.map((edge: any) => edge.node.id));
        if (!venue.performances.pageInfo.hasNextPage) return ids;
        after = venue.performances.pageInfo.endCursor;
      }
    };
    expect(await collect({})).toEqual(byStart);
    expect(await collect({ from: at(0), to: at(48) })).toEqual(byStart.slice(0, 3));
    expect(await collect({ from: at(1) })).toEqual(byStart.slice(2));
    expect(errorCode(await server.client.request(LIST, { id: own.id, after: 'x' }))).toBe(BAD);
  });
});

describe('nested reads', () => {
  /** Statements on the venue tables the server sends while running one operation. */
  async function statementsFor(query: string, variables: Record<string, unknown>): Promise<string[]> {
    const seen: string[] = [];
    const connection = server.orm.em.getConnection();
    const original = connection.execute.bind(connection);
    connection.execute = ((statement: unknown, ...rest: unknown[]) => {
      const text = String(typeof statement === 'string' ? statement : ((statement as { sql?: string }).sql ?? statement));
      if (/from "?(venue|seating_chart|performance)"?\b/.test(text)) seen.push(text);
      return (original as (...args: unknown[]) => unknown)(statement, ...rest);
    }) as typeof connection.execute;
    try {
      await server.client.ok(query, variables);
    } finally {
      connection.execute = original;
    }
    return seen;
  }

  it('are batched: the number of statements does not grow with the venues listed', async () => {
    const city = unique('Batched city');
    for (let i = 0; i < 4; i++) {
      const venue = await createVenue(server.client, admin, { city });
      const chart = await createChart(server.client, admin, venue.id);
      for (let j = 0; j < 3; j++) await createPerformance(server.client, admin, venue.id, chart.id);
    }
    const query = `query($city: String, $first: Int) {
      venues(city: $city, first: $first) { edges { node { id seatingCharts { id venue { id } }
        performances(first: 2) { edges { node { id prices { category } venue { name } seatingChart { name } } } pageInfo { hasNextPage } } } } }
    }`;
    const few = await statementsFor(query, { city, first: 1 });
    const many = await statementsFor(query, { city, first: 4 });
    // One statement per level (venues, charts, pages, performances, and the charts by id
    // unless the first charts read already put them in the context): never one per venue.
    expect(few.length).toBeGreaterThan(0);
    for (const statements of [few, many]) expect(statements.length).toBeLessThanOrEqual(5);
    const { venues }: any = await server.client.ok(query, { city, first: 4 });
    expect(venues.edges.map((e: any) => e.node.performances.edges.length)).toEqual([2, 2, 2, 2]);
    expect(venues.edges.every((e: any) => e.node.performances.pageInfo.hasNextPage)).toBe(true);
  });
});

describe('who may change what', () => {
  type Attempt = (token: string | undefined) => Promise<GraphQLResult>;

  /** anonymous, guest and staff of another venue are refused; staff of the venue and admin succeed (unless `adminOnly`). */
  async function expectMatrix(venueId: string, attempt: Attempt, adminOnly = false) {
    const staffHere = await staffOf(venueId);
    const staffElsewhere = await staffOf(MISSING);
    expect(errorCode(await attempt(undefined))).toBe('UNAUTHENTICATED');
    expect(errorCode(await attempt(guest))).toBe('FORBIDDEN');
    expect(errorCode(await attempt(staffElsewhere))).toBe('FORBIDDEN');
    const asStaff = await attempt(staffHere);
    expect(errorCode(asStaff)).toBe(adminOnly ? 'FORBIDDEN' : undefined);
    const asAdmin = await attempt(admin);
    expect(asAdmin.errors).toBeUndefined();
  }

  it('createVenue is for admins only', async () => {
    await expectMatrix(MISSING, (token) => server.client.request(CREATE_VENUE, { input: venueInput() }, token), true);
  });

  it('updateVenue, createSeatingChart, createPerformance, updatePerformance and blockSeats: staff of the venue or admin', async () => {
    const { venue, chart, performance } = await seatedPerformance(server.client, admin);
    let version = 1;
    await expectMatrix(venue.id, async (token) => {
      const result = await server.client.request(UPDATE_VENUE, { input: { id: venue.id, version, name: unique('V') } }, token);
      if (!result.errors) version++;
      return result;
    });
    await expectMatrix(venue.id, (token) =>
      server.client.request(CREATE_CHART, { input: { venueId: venue.id, name: unique('C'), sections: sectionsInput(SMALL_CHART) } }, token),
    );
    await expectMatrix(venue.id, (token) =>
      server.client.request(CREATE_PERFORMANCE, { input: performanceInput(venue.id, chart.id) }, token),
    );
    let performanceVersion = performance.version;
    await expectMatrix(venue.id, async (token) => {
      const input = { id: performance.id, version: performanceVersion, title: unique('T') };
      const result = await server.client.request(UPDATE_PERFORMANCE, { input }, token);
      if (!result.errors) performanceVersion++;
      return result;
    });
    let blocked = false;
    await expectMatrix(venue.id, async (token) => {
      const input = { performanceId: performance.id, seatIds: ['ORCH-R1-1'], blocked: !blocked };
      const result = await server.client.request(BLOCK_SEATS, { input }, token);
      if (!result.errors) blocked = !blocked;
      return result;
    });
  });

  it('checks the right before validating: a forbidden caller learns nothing about the input', async () => {
    const { venue } = await seatedPerformance(server.client, admin);
    const elsewhere = await staffOf(MISSING);
    const input = performanceInput(venue.id, 'not-a-chart', { title: '' });
    expect(errorCode(await server.client.request(CREATE_PERFORMANCE, { input }, elsewhere))).toBe('FORBIDDEN');
  });
});

describe('details validation', () => {
  const schema = {
    type: 'object',
    required: ['attendees'],
    additionalProperties: false,
    properties: {
      email: { type: 'string', format: 'email' },
      attendees: {
        type: 'array',
        items: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1 } } },
      },
      'a/b': { type: 'integer' },
    },
  };

  it('reports every violation at its JSON pointer', () => {
    const errors = validateDetails(schema, { email: 'nope', attendees: [{ name: 'Ann' }, {}, { name: '' }], extra: 1, 'a/b': 'x' });
    expect(errors.map((error) => error.path).sort()).toEqual(
      ['/attendees/1/name', '/attendees/2/name', '/email', '/extra', '/a~1b'].sort(),
    );
    expect(errors.every((error) => error.message.length > 0)).toBe(true);
    expect(validateDetails(schema, { attendees: [{ name: 'Ann' }], email: 'ann@example.com' })).toEqual([]);
    expect(validateDetails(schema, null)).toEqual([{ path: '/attendees', message: expect.any(String) }]);
  });

  it('without a schema, takes only absent or empty details', () => {
    expect(validateDetails(null, undefined)).toEqual([]);
    expect(validateDetails(null, {})).toEqual([]);
    expect(validateDetails(null, { a: 1 })).toHaveLength(1);
  });

  it('keeps schemas with the same $id apart', () => {
    const a = { $id: 'https://example.com/details', type: 'object', required: ['a'] };
    const b = { $id: 'https://example.com/details', type: 'object', required: ['b'] };
    expect(validateDetails(a, { a: 1 })).toEqual([]);
    expect(validateDetails(b, { a: 1 })).toEqual([{ path: '/b', message: expect.any(String) }]);
  });
});
