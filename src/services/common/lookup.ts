import type { EntityClass, FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isId } from '../../entities/id.js';
import { notFound } from './errors.js';

/** The entity with this id, or NOT_FOUND (also for ids that are not UUIDs). */
export async function findOrNotFound<T extends { id: string }>(
  em: EntityManager,
  entity: EntityClass<T>,
  what: string,
  id: string,
): Promise<T> {
  const found = isId(id) ? await em.findOne(entity, { id } as FilterQuery<T>) : null;
  if (!found) throw notFound(what, id);
  return found;
}
