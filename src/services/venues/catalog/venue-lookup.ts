import type { EntityClass, Ref } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Caller } from '../../common/caller.js';
import { findOrNotFound } from '../../common/lookup.js';

/** A venue, or something that belongs to one. */
type OfVenue = { id: string; venue: Ref<{ id: string }> } | { id: string; venue?: undefined };

/**
 * The entity, for a caller who may manage its venue: a token first (UNAUTHENTICATED),
 * then the entity (NOT_FOUND, also for ids that are not UUIDs), then the right
 * (FORBIDDEN): the hotel catalog's order (findManaged). Every venue change starts here.
 */
export async function findVenueManaged<T extends OfVenue>(
  em: EntityManager,
  caller: Caller,
  entity: EntityClass<T>,
  id: string,
): Promise<T> {
  caller.require();
  const found = await findOrNotFound(em, entity, id);
  caller.requireVenueManager(found.venue ? found.venue.id : found.id);
  return found;
}
