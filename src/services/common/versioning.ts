import { isDeepStrictEqual } from 'node:util';
import { LockMode, OptimisticLockError, type EntityClass, type FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';

interface Versioned {
  id: string;
  version: number;
}

/**
 * A compare-and-set on the version alone, for a change that touches no column of
 * the entity (rules in another table, an update that changes nothing): of the
 * writers that read the same version, exactly one succeeds.
 */
export async function bumpVersion<T extends Versioned>(em: EntityManager, entity: T, version: number): Promise<void> {
  const where = { id: entity.id, version } as FilterQuery<T>;
  const bumped = await em.nativeUpdate(entity.constructor as EntityClass<T>, where, { version: version + 1 } as never);
  if (bumped !== 1) throw OptimisticLockError.lockFailed(entity);
  entity.version = version + 1;
}

/**
 * Applies the given fields (undefined: not given) under the version the client read, with
 * MikroORM's optimistic locking: `em.lock` compares it with what was loaded, and the
 * flush's `UPDATE ... WHERE version = ?` settles writers that loaded the same version at
 * once (an OptimisticLockError, which the edge maps to VERSION_CONFLICT). An update that
 * changes nothing (JSON values compared by content) still bumps the version, so of the
 * writers that read one version exactly one succeeds, whatever each sent.
 */
export async function saveVersioned<T extends Versioned>(
  em: EntityManager,
  entity: T,
  version: number,
  changes: Partial<Record<string, unknown>>,
): Promise<T> {
  await em.lock(entity, LockMode.OPTIMISTIC, version);
  const given = Object.entries(changes).filter(([, value]) => value !== undefined);
  const record = entity as unknown as Record<string, unknown>;
  if (given.every(([field, value]) => isDeepStrictEqual(record[field], value))) {
    await bumpVersion(em, entity, version);
    return entity;
  }
  em.assign(entity, Object.fromEntries(given) as never);
  await em.flush();
  return entity;
}
