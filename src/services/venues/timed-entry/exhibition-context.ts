import type { EntityManager } from '@mikro-orm/postgresql';
import { Exhibition } from '../../../entities/venues/exhibition.entity.js';
import { OfferingKind } from '../../../entities/venues/offering.js';
import { TimeSlot } from '../../../entities/venues/time-slot.entity.js';
import type { HoldInfo, SeatRef } from '../holds/hold-engine.js';
import type { HeldItem, OfferingContext } from '../holds/offering-context.js';
import type { VenueDeps } from '../venue.deps.js';

/**
 * An exhibition as the hold path sees it. Its tickets are counted units of one section
 * per time slot (the section is the slot's id): a hold's item is a slot with the number
 * of its tickets in the hold.
 */
export interface ExhibitionContext extends OfferingContext {
  kind: OfferingKind.EXHIBITION;
  exhibition: Exhibition;
  /** A slot of this exhibition (null: none), read once per context (the hold path's contexts live a second). */
  slot(id: string): Promise<TimeSlot | null>;
}

export async function readExhibitionContext(em: EntityManager, _deps: VenueDeps, id: string): Promise<ExhibitionContext | null> {
  const exhibition = await em.findOne(Exhibition, id, { populate: ['venue'] });
  if (!exhibition) return null;
  const venue = exhibition.venue.getEntity();
  const slots = new Map<string, Promise<TimeSlot | null>>();
  const slot = (slotId: string) => {
    let found = slots.get(slotId);
    if (!found) {
      found = em.fork().findOne(TimeSlot, { id: slotId, exhibition: id });
      slots.set(slotId, found);
      found.catch(() => slots.delete(slotId));
    }
    return found;
  };
  return {
    kind: OfferingKind.EXHIBITION,
    id: exhibition.id,
    venueId: venue.id,
    currency: venue.currency,
    title: exhibition.title,
    status: exhibition.status,
    holdMinutes: exhibition.holdMinutes,
    maxUnitsPerHold: exhibition.maxTicketsPerHold,
    detailsSchema: exhibition.detailsSchema,
    exhibition,
    slot,
    items: (hold) => slotItems(slot, hold),
  };
}

/** One item per slot of the hold, in the order first held, at the prices its tickets were held at. */
async function slotItems(slotOf: (id: string) => Promise<TimeSlot | null>, hold: HoldInfo): Promise<HeldItem[]> {
  const bySlot = new Map<string, SeatRef[]>();
  for (const unit of hold.seats) bySlot.set(unit.section, [...(bySlot.get(unit.section) ?? []), unit]);
  const slots = await Promise.all([...bySlot.keys()].map(slotOf));
  return [...bySlot].map(([slotId, units], i) => {
    const slot = slots[i];
    return {
      id: slotId,
      seatId: null,
      timeSlotId: slotId,
      tableId: null,
      // A slot is never deleted while it has tickets; the times are there for every held one.
      startsAt: slot!.startsAt,
      endsAt: slot!.endsAt,
      quantity: units.length,
      priceMinor: units.reduce((sum, unit) => sum + (unit.price ?? slot!.priceMinor), 0),
      units,
    };
  });
}
