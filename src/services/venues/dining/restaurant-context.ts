import type { EntityManager } from '@mikro-orm/postgresql';
import { DiningTable } from '../../../entities/venues/dining-table.entity.js';
import { OfferingKind } from '../../../entities/venues/offering.js';
import { Restaurant } from '../../../entities/venues/restaurant.entity.js';
import type { HoldInfo } from '../holds/hold-engine.js';
import type { HeldItem, OfferingContext } from '../holds/offering-context.js';
import type { VenueDeps } from '../venue.deps.js';

/** Tables are held in cells of this many minutes: slot and turn minutes and opening times are multiples of it. */
export const TABLE_CELL_MINUTES = 5;
const CELL_MS = TABLE_CELL_MINUTES * 60_000;

/** The cell of a table that begins at `at`: `<tableId>@<epoch minutes>`. */
export function tableCellId(tableId: string, at: number): string {
  return `${tableId}@${Math.floor(at / 60_000)}`;
}

function parseTableCell(id: string): { tableId: string; at: number } {
  const [tableId, minutes] = id.split('@');
  return { tableId, at: Number(minutes) * 60_000 };
}

/** The id of a seating item: the table and its start, as releaseHold names it. */
export const seatingItemId = (tableId: string, startsAt: Date) => `${tableId}@${startsAt.toISOString()}`;

/**
 * A restaurant as the hold path sees it. A table for one seating is the table's cells
 * over [start, start + turn), in the section of the seating's local date; the first cell
 * carries the party size (its quantity) and the deposit (its price).
 */
export interface RestaurantContext extends OfferingContext {
  kind: OfferingKind.RESTAURANT;
  restaurant: Restaurant;
  timezone: string;
  tables: DiningTable[];
}

export async function readRestaurantContext(em: EntityManager, _deps: VenueDeps, id: string): Promise<RestaurantContext | null> {
  const restaurant = await em.findOne(Restaurant, id, { populate: ['venue'] });
  if (!restaurant) return null;
  const venue = restaurant.venue.getEntity();
  const tables = await em.find(DiningTable, { restaurant: id }, { orderBy: { id: 'asc' } });
  return {
    kind: OfferingKind.RESTAURANT,
    id: restaurant.id,
    venueId: venue.id,
    currency: venue.currency,
    title: restaurant.name,
    status: restaurant.status,
    holdMinutes: restaurant.holdMinutes,
    // Cells, not tables: a hold may take a few seatings of the longest turn the restaurant allows.
    maxUnitsPerHold: 4 * Math.ceil(24 * 60 / TABLE_CELL_MINUTES),
    detailsSchema: restaurant.detailsSchema,
    restaurant,
    timezone: venue.timezone,
    tables,
    items: async (hold) => seatingItems(hold),
  };
}

/** One item per seating: the cells from one that carries a party size up to the next. */
export function seatingItems(hold: Pick<HoldInfo, 'seats'>): HeldItem[] {
  const items: HeldItem[] = [];
  for (const cell of hold.seats) {
    const { tableId, at } = parseTableCell(cell.id);
    const current = items.at(-1);
    if (cell.quantity !== undefined || !current || current.tableId !== tableId) {
      const startsAt = new Date(at);
      items.push({
        id: seatingItemId(tableId, startsAt),
        seatId: null,
        timeSlotId: null,
        tableId,
        startsAt,
        endsAt: new Date(at + CELL_MS),
        quantity: cell.quantity ?? 0,
        priceMinor: cell.price ?? 0,
        units: [cell],
      });
    } else {
      current.endsAt = new Date(Math.max(current.endsAt.getTime(), at + CELL_MS));
      current.priceMinor += cell.price ?? 0;
      current.units.push(cell);
    }
  }
  return items;
}
