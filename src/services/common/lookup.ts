import type { EntityClass, FilterQuery, Ref } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isId } from '../../entities/id.js';
import type { Caller } from './caller.js';
import { notFound } from './errors.js';

/** The entity with this id, or NOT_FOUND naming its class (also for ids that are not UUIDs). */
export async function findOrNotFound<T extends { id: string }>(
  em: EntityManager,
  entity: EntityClass<T>,
  id: string,
): Promise<T> {
  const found = isId(id) ? await em.findOne(entity, { id } as FilterQuery<T>) : null;
  if (!found) throw notFound(entity.name, id);
  return found;
}

/** A hotel, or something that belongs to one. */
type OfHotel = { id: string; hotel: Ref<{ id: string }> } | { id: string; hotel?: undefined };

/**
 * The entity, for a caller who may manage its hotel: a token first (UNAUTHENTICATED),
 * then the entity (NOT_FOUND), then the right (FORBIDDEN). The catalog's and the
 * inventory's changes all start here.
 */
export async function findManaged<T extends OfHotel>(
  em: EntityManager,
  caller: Caller,
  entity: EntityClass<T>,
  id: string,
): Promise<T> {
  caller.require();
  const found = await findOrNotFound(em, entity, id);
  caller.requireHotelManager(found.hotel ? found.hotel.id : found.id);
  return found;
}
