import { getNamedType, isListType, isNonNullType, type GraphQLField, type GraphQLOutputType } from 'graphql';
import type { ComplexityEstimator } from 'graphql-query-complexity';
import { MAX_PAGE_SIZE } from '../../services/common/pagination.js';
import { MAX_PRICING_RULES } from '../../services/stays/inventory.service.js';
import { MAX_RANGE_NIGHTS, MAX_STAY_NIGHTS } from '../../services/stays/stay.validation.js';
import { MAX_BLOCK_SEATS } from '../../services/venues/seat-map.service.js';
import { MAX_CHART_SEATS } from '../../services/venues/seating/layout.js';
import { TABLE_CELL_MINUTES } from '../../services/venues/dining/restaurant-context.js';
import { MAX_DAY_SLOTS, MAX_SLOT_DAYS } from '../../services/venues/timed-entry/exhibition.service.js';

type Args = Record<string, unknown>;
/**
 * How many items a list field answers at most: a number, or one read from the field's
 * arguments (`of`) that is never more than `max`, whatever the arguments.
 */
export type ListBound = number | { max: number; of: (args: Args) => number };

/** The `first` a connection will serve (the service refuses more than MAX_PAGE_SIZE itself). */
const page: ListBound = { max: MAX_PAGE_SIZE, of: (args) => clamp(args.first, 1, MAX_PAGE_SIZE, 20) };
/** Nights of [from, to), as the service will accept them (at most MAX_RANGE_NIGHTS). */
const nightsOf = (read: (args: Args) => Args): ListBound => ({
  max: MAX_RANGE_NIGHTS,
  of: (args) => {
    const { from, to } = read(args);
    const days = (Date.parse(String(to)) - Date.parse(String(from))) / 86_400_000;
    return clamp(days, 1, MAX_RANGE_NIGHTS, MAX_RANGE_NIGHTS);
  },
});
const input = (args: Args) => (args.input ?? {}) as Args;

/** Room types a hotel is planned for: a declared bound (the data has no cap), documented in the README. */
export const PLANNED_ROOM_TYPES = 20;
/** Sections of a chart, rows of a section, seats of a row: declared so that their product is a full chart. */
const CHART_SECTIONS = 100;
const SECTION_ROWS = 50;
const ROW_SEATS = MAX_CHART_SEATS / (CHART_SECTIONS * SECTION_ROWS);
/** Seatings (or one table's seatings) of one day: at most one per table cell. */
const DAY_SEATINGS = (24 * 60) / TABLE_CELL_MINUTES;
/** Tables of a restaurant: a declared planning figure (the data has no cap). */
const PLANNED_TABLES = 200;
/** maxSeatsPerHold is at most 100 (venue.validation). */
const HOLD_ITEMS = 100;

/**
 * Every list field of the schema and how long it can be: connections by their `first`,
 * date ranges by their nights, inputs by their length, and the rest by a declared bound
 * (a cap the service enforces, or a planning figure where the data has none). A test
 * fails when a list field of the schema is missing here, so none is counted as one item.
 */
export const LIST_BOUNDS: Readonly<Record<string, ListBound>> = {
  // Connections: the connection field carries the page size; its edges are counted there.
  'Query.hotels': page,
  'Query.venues': page,
  'Query.myReservations': page,
  'Query.hotelReservations': page,
  'Query.myBookings': page,
  'Query.venueBookings': page,
  'Venue.performances': page,
  'HotelConnection.edges': 1,
  'VenueConnection.edges': 1,
  'ReservationConnection.edges': 1,
  'BookingConnection.edges': 1,
  'PerformanceConnection.edges': 1,
  // Stays.
  'Hotel.roomTypes': PLANNED_ROOM_TYPES,
  'RoomType.rooms': 200,
  'RoomType.pricingRules': MAX_PRICING_RULES,
  'RoomType.inventory': nightsOf((args) => args),
  'Query.searchAvailability': PLANNED_ROOM_TYPES,
  'RoomOffer.nights': MAX_STAY_NIGHTS,
  'InventoryChange.days': MAX_RANGE_NIGHTS,
  'Mutation.setInventory': nightsOf(input),
  'Mutation.setRates': nightsOf(input),
  // Venues.
  'Venue.seatingCharts': 20,
  'SeatingChart.sections': CHART_SECTIONS,
  'Section.rows': SECTION_ROWS,
  'SeatRow.seats': ROW_SEATS,
  'Performance.prices': 20,
  'Performance.sections': CHART_SECTIONS,
  'Performance.seats': MAX_CHART_SEATS,
  'SeatsChange.seats': MAX_BLOCK_SEATS,
  'SeatsChange.sections': CHART_SECTIONS,
  'Mutation.blockSeats': {
    max: MAX_BLOCK_SEATS,
    of: (args) => clamp((input(args).seatIds as unknown[] | undefined)?.length, 1, MAX_BLOCK_SEATS, MAX_BLOCK_SEATS),
  },
  'Hold.items': HOLD_ITEMS,
  'Booking.items': HOLD_ITEMS,
  // Timed entry and restaurant tables: the services' caps, and planning figures where the data has none.
  'Venue.exhibitions': 20,
  'Venue.restaurants': 20,
  'Exhibition.timeSlots': MAX_DAY_SLOTS,
  'TimeSlotsChange.slots': MAX_SLOT_DAYS * MAX_DAY_SLOTS,
  'Mutation.setTimeSlots': MAX_SLOT_DAYS * MAX_DAY_SLOTS,
  'Restaurant.openingHours': 7 * 4,
  'Restaurant.tables': PLANNED_TABLES,
  'Restaurant.availability': DAY_SEATINGS,
  'DiningChange.tables': PLANNED_TABLES,
  'TableBusy.intervals': DAY_SEATINGS,
};

/**
 * The cost of a field: 1 for itself plus its selections, times the length of the list
 * it answers (LIST_BOUNDS; 1 for a single value). Meta fields (__typename, which Apollo
 * Client adds everywhere) and introspection cost nothing: the schema bounds them.
 * `worstCase`: lists read from arguments count at their maximum, so the cost holds for
 * any variables (a document's verdict can then be kept with it).
 */
export function listCostEstimator(options: { worstCase: boolean }, bounds: Readonly<Record<string, ListBound>> = LIST_BOUNDS): ComplexityEstimator {
  return ({ type, field, args, childComplexity }) => {
    if (field.name.startsWith('__') || type.name.startsWith('__')) return childComplexity;
    const bound = bounds[`${type.name}.${field.name}`];
    const length = bound === undefined ? 1 : typeof bound === 'number' ? bound : options.worstCase ? bound.max : bound.of(args);
    return length * (1 + childComplexity);
  };
}

/** Whether a field answers a list (so it needs a bound). */
export function isListField(field: GraphQLField<unknown, unknown>): boolean {
  let type: GraphQLOutputType = field.type;
  if (isNonNullType(type)) type = type.ofType;
  return isListType(type) || getNamedType(type).name.endsWith('Connection');
}

function clamp(value: unknown, min: number, max: number, fallback: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.ceil(value)));
}
