import { beforeAll, expect, it } from '@jest/globals';
import { parse, type GraphQLSchema, isObjectType } from 'graphql';
import { buildAppSchema } from '../../src/app/schema.js';
import { loadConfig } from '../../src/infra/config.js';
import { isListField, LIST_BOUNDS } from '../../src/infra/limits/cost.js';
import { createQueryGuard } from '../../src/infra/limits/query-limits.js';

/**
 * The cost model: every list field of the schema has a bound, and the contract's
 * largest reads fit under the default limit while a hundred times one of them does not.
 */

let schema: GraphQLSchema;
const defaults = loadConfig({}).queryLimits;

beforeAll(async () => {
  schema = await buildAppSchema();
});

/** The estimated cost of a document, read from the refusal of a guard whose limit is 1. */
function costOf(query: string, variables: Record<string, unknown> = {}): number {
  const guard = createQueryGuard({ ...defaults, maxCost: 1 }, { introspection: true });
  const refusal = guard.checkOperation(schema, parse(query), undefined, variables).refused;
  const extensions = (refusal?.originalError as { details?: { limit: string; measured: number } } | undefined)?.details;
  if (extensions?.limit !== 'cost') throw new Error(`not a cost refusal: ${refusal?.message}`);
  return extensions.measured;
}

it('has a bound for every list field of the schema', () => {
  const missing: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (isListField(field) && !(`${type.name}.${field.name}` in LIST_BOUNDS)) missing.push(`${type.name}.${field.name}`);
    }
  }
  expect(missing).toEqual([]);
});

it('lets the largest contract reads through and refuses a hundred of them', () => {
  const chart = `query($id: ID!) { seatingChart(id: $id) { id name seatCount sections { key name category seatCount
    rows { label seats { id number row sectionKey category accessible } } } } }`;
  const seatMap = `query($id: ID!) { performance(id: $id) { __typename available
    sections { __typename key name category capacity held sold blocked available price { amount currency } }
    seats { __typename seatId status } } }`;
  const inventory = `query($id: ID!) { hotel(id: $id) { roomTypes { inventory(from: "2027-01-01", to: "2028-01-02") {
    date total reserved sellLimit available rate { amount currency } baseRate { amount currency } } } } }`;
  const id = { id: '00000000-0000-0000-0000-000000000000' };
  const costs = { chart: costOf(chart, id), seatMap: costOf(seatMap, id), inventory: costOf(inventory, id) };
  expect(costs).toEqual({ chart: 1_410_504, seatMap: 601_202, inventory: 87_861 });
  for (const cost of Object.values(costs)) expect(cost).toBeLessThanOrEqual(defaults.maxCost);

  // Variables count as literals do; a page of 100 hotels with a year of inventory each is refused.
  const hotels = `query($n: Int, $from: LocalDate!, $to: LocalDate!) { hotels(first: $n) { edges { node { roomTypes {
    inventory(from: $from, to: $to) { date total reserved sellLimit available rate { amount currency } baseRate { amount currency } } } } } } }`;
  expect(costOf(hotels, { n: 100, from: '2027-01-01', to: '2028-01-01' })).toBeGreaterThan(defaults.maxCost);
  expect(costOf(hotels, { n: 1, from: '2027-01-01', to: '2027-01-08' })).toBeLessThan(defaults.maxCost);
});

it('estimates again, with its variables, a document whose @include or @skip hangs on them', () => {
  const guard = createQueryGuard({ ...defaults, maxCost: 1_000 }, { introspection: true });
  const document = parse(`query($id: ID!, $seats: Boolean!) { performance(id: $id) { available
    seats @include(if: $seats) { seatId status } } }`);
  const id = '00000000-0000-0000-0000-000000000000';
  // The same document object, as Apollo hands it for every request of one query text.
  expect(guard.checkOperation(schema, document, undefined, { id, seats: false })).toEqual({ heavy: false });
  const refused = guard.checkOperation(schema, document, undefined, { id, seats: true }).refused;
  expect((refused?.originalError as { details?: { limit: string } } | undefined)?.details?.limit).toBe('cost');
});
