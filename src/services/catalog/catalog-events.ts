import type { EntityManager } from '@mikro-orm/postgresql';
import { newId } from '../../entities/id.js';
import { insertEvents } from '../live/outbox.store.js';

export const CATALOG_TOPIC = 'catalog';

/** The payload of a catalog event: something a search shows of this hotel, besides its nights, changed. */
export interface CatalogEvent {
  eventId: string;
  hotelId: string;
  at: string;
}

/**
 * Records, in the caller's transaction, that the hotel or one of its room types changed
 * (a field, a version, a room type added or deleted): every server's search cache
 * forgets the hotel when the event reaches it.
 */
export async function recordCatalogChange(tx: EntityManager, hotelId: string): Promise<void> {
  const at = new Date();
  const payload: CatalogEvent = { eventId: newId(), hotelId, at: at.toISOString() };
  await insertEvents(tx, hotelId, [{ topic: CATALOG_TOPIC, payload }], at);
}
