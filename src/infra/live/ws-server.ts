import type { IncomingMessage, Server } from 'node:http';
import {
  execute,
  getOperationAST,
  GraphQLError,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import { CloseCode, handleProtocols, makeServer, type SubscribePayload } from 'graphql-ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Caller } from '../../services/common/caller.js';
import { ErrorCode } from '../../services/common/errors.js';
import type { Authenticator } from '../auth.js';
import { GRAPHQL_PATH, MAX_BODY_BYTES } from '../http-server.js';
import { gateFull, type HeavyGate } from '../limits/heavy-gate.js';
import { refusedInput } from '../limits/limit-errors.js';
import type { QueryGuard } from '../limits/query-limits.js';
import { callerKey, chargesOf, type RateLimits } from '../limits/rate-limits.js';
import type { Logger } from '../logger.js';
import { createSharedSubscribe } from './shared-subscribe.js';

export const MAX_SUBSCRIPTIONS_PER_SOCKET = 100;
/** A socket that has not sent connection_init by then is closed (4408). */
export const CONNECTION_INIT_TIMEOUT_MS = 3_000;
/** Ping every socket this often; one that has not answered by the next ping is cut. */
const KEEP_ALIVE_MS = 12_000;

interface SocketState {
  caller?: Caller;
  clientAddress: string;
  subscriptions: Set<string>;
}

/** What a socket keeps for its lifetime: not the upgrade request (headers, parser and all), only the client's address. */
interface Extra {
  socket: WebSocket;
  clientAddress: string;
}

/** Valid documents kept by their text (a page's subscribers all send the same), at most this many, each at most this long. */
const MAX_KEPT_DOCUMENTS = 1_000;
const MAX_KEPT_DOCUMENT_LENGTH = 10_000;

export interface WebSocketOptions<TContext> {
  server: Server;
  schema: GraphQLSchema;
  authenticate: Authenticator;
  /** One context (one ORM fork) per operation, as for HTTP. */
  context: (caller: Caller) => TContext;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** The limits HTTP applies, applied here to every subscribe message. */
  guard: QueryGuard;
  rateLimits: RateLimits;
  /** Heavy queries and mutations wait for a place here, as over HTTP. */
  heavy: HeavyGate;
  clientAddress: (req: IncomingMessage) => string;
  /** Whether a handshake's Origin header may open a socket (refused: HTTP 403, no socket). */
  verifyOrigin?: (origin: string | undefined) => boolean;
  /** Who an operation's context speaks for: subscribers who are the same caller share executions of one event. */
  callerOf: (context: TContext) => string;
  logger: Logger;
}

/**
 * GraphQL over WebSocket (graphql-ws's protocol core, wired to `ws` here rather than
 * through graphql-ws/use/ws, which prints to the console and closes the whole socket
 * with 4500 on any error) on the HTTP server's port and path. The token comes in
 * connectionParams.authorization: none is fine (availability is public), a bad one is
 * refused at connect (4403).
 *
 * Every subscribe message goes through the HTTP request's checks, in the same order:
 * parse (token limit), validation (specified rules plus depth, aliases, directives,
 * storable strings, introspection), the operation, the caller's rate budget, variables
 * and cost. A client's mistake is answered with an error message for that id, coded as
 * HTTP codes it; the socket and its other subscriptions stay. Frames are limited to
 * the HTTP body limit (ws closes an oversized one with 1009). `close()` ends every
 * socket (1001, going away) when the server stops.
 */
export function attachWebSocketServer<TContext extends object>(options: WebSocketOptions<TContext>) {
  const { logger } = options;
  const wss = new WebSocketServer({
    server: options.server,
    path: GRAPHQL_PATH,
    maxPayload: MAX_BODY_BYTES,
    handleProtocols: (protocols) => handleProtocols(protocols) || false,
    verifyClient: options.verifyOrigin
      ? (info: { req: IncomingMessage }, done: (ok: boolean, code?: number, message?: string) => void) =>
          options.verifyOrigin!(info.req.headers.origin) ? done(true) : done(false, 403, 'Origin not allowed')
      : undefined,
  });
  const states = new WeakMap<object, SocketState>();
  const stateOf = (extra: Extra): SocketState => {
    let state = states.get(extra);
    if (!state) states.set(extra, (state = { subscriptions: new Set(), clientAddress: extra.clientAddress }));
    return state;
  };
  const format = (errors: readonly GraphQLError[]) => errors.map((error) => options.formatError(error.toJSON(), error));
  const rules = [...specifiedRules, ...options.guard.validationRules];

  /**
   * A subscribe message's document, parsed and validated (both depend on its text alone):
   * the same text gets the same document object, which its subscribers then share the
   * execution of (shared-subscribe.ts) and which costs its memory once.
   */
  const documents = new Map<string, DocumentNode>();
  const documentOf = (query: string): DocumentNode | GraphQLError[] => {
    const kept = documents.get(query);
    if (kept) return kept;
    const document = options.guard.parse(query);
    if (document instanceof GraphQLError) return [asClientError(document, 'GRAPHQL_PARSE_FAILED')];
    const invalid = validate(options.schema, document, rules);
    if (invalid.length > 0) return invalid.map((error) => asClientError(error, 'GRAPHQL_VALIDATION_FAILED'));
    if (query.length <= MAX_KEPT_DOCUMENT_LENGTH) {
      if (documents.size >= MAX_KEPT_DOCUMENTS) documents.delete(documents.keys().next().value!);
      documents.set(query, document);
    }
    return document;
  };

  /** The heavy queries and mutations among the prepared operations (graphql-ws executes the very object onSubscribe answers). */
  const heavyArgs = new WeakSet<ExecutionArgs>();

  /** The checks of an HTTP request, for one subscribe message: its ExecutionArgs, or the errors to answer. */
  const prepare = async (state: SocketState, payload: SubscribePayload): Promise<ExecutionArgs | GraphQLError[]> => {
    const document = documentOf(payload.query);
    if (Array.isArray(document)) return document;
    const operation = getOperationAST(document, payload.operationName);
    if (!operation) {
      return [refusedInput('The document must have exactly one operation, or operationName must name one', { field: 'operationName' })];
    }
    const limited = await options.rateLimits.consume(
      callerKey(state.caller!, state.clientAddress),
      chargesOf(operation, document),
    );
    if (limited) return [limited];
    const verdict = options.guard.checkOperation(options.schema, document, payload.operationName, payload.variables);
    if (verdict.refused) return [verdict.refused];
    const args: ExecutionArgs = {
      schema: options.schema,
      document,
      operationName: payload.operationName,
      variableValues: payload.variables,
    };
    // A subscription's executions are per event (and shared): only answers to one message are gated.
    if (operation.operation !== 'subscription' && verdict.heavy) {
      heavyArgs.add(args);
    }
    return args;
  };

  const server = makeServer<Record<string, unknown> | undefined, Extra>({
    schema: options.schema,
    subscribe: createSharedSubscribe(options.callerOf),
    execute: async (args) => {
      if (!heavyArgs.has(args)) return execute(args);
      const leave = await options.heavy.enter();
      if (!leave) return { errors: [gateFull()] };
      try {
        return await execute(args);
      } finally {
        leave();
      }
    },
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
    onSubscribe: async (ctx, id, payload) => {
      const state = stateOf(ctx.extra);
      if (state.subscriptions.size >= MAX_SUBSCRIPTIONS_PER_SOCKET) {
        return [
          new GraphQLError(`At most ${MAX_SUBSCRIPTIONS_PER_SOCKET} subscriptions per connection`, {
            extensions: { code: ErrorCode.BAD_USER_INPUT },
          }),
        ];
      }
      const prepared = await prepare(state, payload);
      if (!Array.isArray(prepared)) state.subscriptions.add(id);
      return prepared;
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
  });

  wss.on('error', (err) => logger.error({ err }, 'WebSocket server error'));
  wss.on('connection', (socket, request) => {
    // A client's broken frame (too large: ws closes it with 1009; bad UTF-8, bad opcode:
    // 1002/1007). ws has closed the connection; this only keeps the error from being unhandled.
    socket.on('error', (err) => logger.info({ err: { message: err.message, code: (err as { code?: unknown }).code } }, 'WebSocket client sent a bad frame; closed'));
    let alive = true;
    socket.on('pong', () => (alive = true));
    const keepAlive = setInterval(() => {
      if (!alive) return socket.terminate();
      alive = false;
      socket.ping();
    }, KEEP_ALIVE_MS);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (err) => (err ? reject(err) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', async (data) => {
            try {
              await handle(String(data));
            } catch (err) {
              // Client mistakes are answered inside the protocol; this is the server's own failure.
              logger.error({ err }, 'WebSocket message handling failed');
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            }
          }),
      },
      { socket, clientAddress: options.clientAddress(request) },
    );
    socket.once('close', (code, reason) => {
      clearInterval(keepAlive);
      closed(code, String(reason)).catch((err: unknown) => logger.error({ err }, 'WebSocket close handling failed'));
    });
  });

  return {
    async close(): Promise<void> {
      for (const client of wss.clients) client.close(1001, 'Going away');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/**
 * A parse or validation error coded as Apollo codes it over HTTP (format-error then
 * answers BAD_USER_INPUT), keeping the DomainError a limit rule put behind it.
 */
function asClientError(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    originalError: error.originalError ?? undefined,
    extensions: { ...error.extensions, code: error.extensions.code ?? code },
  });
}
