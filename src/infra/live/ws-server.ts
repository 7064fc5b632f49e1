import type { Server } from 'node:http';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Caller } from '../../services/common/caller.js';
import { ErrorCode } from '../../services/common/errors.js';
import type { Authenticator } from '../auth.js';
import { GRAPHQL_PATH } from '../http-server.js';
import type { Logger } from '../logger.js';

export const MAX_SUBSCRIPTIONS_PER_SOCKET = 100;
/** A socket that has not sent connection_init by then is closed (4408). */
export const CONNECTION_INIT_TIMEOUT_MS = 3_000;

interface SocketState {
  caller?: Caller;
  subscriptions: Set<string>;
}

export interface WebSocketOptions<TContext> {
  server: Server;
  schema: GraphQLSchema;
  authenticate: Authenticator;
  /** One context (one ORM fork) per operation, as for HTTP. */
  context: (caller: Caller) => TContext;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  logger: Logger;
}

/**
 * GraphQL over WebSocket (graphql-ws) on the HTTP server's port and path. The token
 * comes in connectionParams.authorization: none is fine (availability is public), a
 * bad one is refused at connect (4403). `close()` on the result ends every socket
 * (1001, going away) when the server stops.
 */
export function attachWebSocketServer<TContext extends object>(options: WebSocketOptions<TContext>) {
  const wss = new WebSocketServer({ server: options.server, path: GRAPHQL_PATH });
  const states = new WeakMap<object, SocketState>();
  const stateOf = (extra: object): SocketState => {
    let state = states.get(extra);
    if (!state) states.set(extra, (state = { subscriptions: new Set() }));
    return state;
  };
  const format = (errors: readonly GraphQLError[]) => errors.map((error) => options.formatError(error.toJSON(), error));

  const cleanup = useServer(
    {
      schema: options.schema,
      connectionInitWaitTimeout: CONNECTION_INIT_TIMEOUT_MS,
      onConnect: async (ctx) => {
        const authorization = ctx.connectionParams?.authorization;
        const caller = await options.authenticate(typeof authorization === 'string' ? authorization : undefined);
        // A token that was sent must be valid; an anonymous socket is welcome.
        if (typeof authorization === 'string' && authorization !== '' && !caller.principal) return false;
        stateOf(ctx.extra).caller = caller;
        return true;
      },
      context: (ctx) => options.context(stateOf(ctx.extra).caller!),
      onSubscribe: (ctx, id) => {
        const { subscriptions } = stateOf(ctx.extra);
        if (subscriptions.size >= MAX_SUBSCRIPTIONS_PER_SOCKET) {
          return [
            new GraphQLError(`At most ${MAX_SUBSCRIPTIONS_PER_SOCKET} subscriptions per connection`, {
              extensions: { code: ErrorCode.BAD_USER_INPUT },
            }),
          ];
        }
        subscriptions.add(id);
      },
      onComplete: (ctx, id) => {
        stateOf(ctx.extra).subscriptions.delete(id);
      },
      onError: (ctx, id, _payload, errors) => {
        // A refused operation (bad arguments, unknown hotel) no longer counts against the limit.
        stateOf(ctx.extra).subscriptions.delete(id);
        return format(errors);
      },
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: format(result.errors) } : undefined,
    },
    wss,
  );

  return {
    async close(): Promise<void> {
      await cleanup.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
