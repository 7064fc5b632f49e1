import { OptimisticLockError, type EntityClass, type FilterQuery } from '@mikro-orm/core';
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
