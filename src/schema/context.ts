import { createParameterDecorator } from 'type-graphql';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Caller } from '../services/caller.js';
import { CatalogService } from '../services/catalog.service.js';

/** The services of one GraphQL operation, over that operation's own ORM context. */
export class OperationServices {
  readonly catalog: CatalogService;

  constructor(readonly em: EntityManager) {
    this.catalog = new CatalogService(em);
  }
}

export interface GraphQLContext {
  caller: Caller;
  services: OperationServices;
}

/** The caller of this operation (anonymous, authenticated, or with a rejected token). */
export function CurrentUser() {
  return createParameterDecorator<GraphQLContext>(({ context }) => context.caller);
}

/** This operation's services. */
export function Services() {
  return createParameterDecorator<GraphQLContext>(({ context }) => context.services);
}
