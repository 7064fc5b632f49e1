import { Field, ObjectType, type ClassType } from 'type-graphql';
import type { Page } from '../../services/common/pagination.js';
import { PageInfo } from './page-info.js';

export interface Edge<T> {
  node: T;
  cursor: string;
}

export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
}

/** The Relay-style `<Name>Edge` and `<Name>Connection` types for one node type. */
export function connectionType<T extends object>(Node: ClassType<T>, name: string) {
  @ObjectType(`${name}Edge`)
  class EdgeType implements Edge<T> {
    @Field(() => Node)
    node!: T;

    @Field()
    cursor!: string;
  }

  @ObjectType(`${name}Connection`)
  class ConnectionType implements Connection<T> {
    @Field(() => [EdgeType])
    edges!: EdgeType[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;
  }

  return ConnectionType;
}

export function toConnection<T>(page: Page<T>): Connection<T> {
  const edges = page.items.map((node) => ({ node, cursor: page.cursorOf(node) }));
  return {
    edges,
    pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null },
  };
}
