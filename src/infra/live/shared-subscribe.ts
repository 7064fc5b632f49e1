import { createSourceEventStream, execute, type DocumentNode, type ExecutionArgs, type ExecutionResult } from 'graphql';

/**
 * graphql-js's `subscribe`, except that an event is executed once for every subscriber
 * who asked for it alike: the same document object (ws-server parses each distinct text
 * once), operation and variables, as the same caller (`callerOf`: the same principal, or
 * anonymous). Ten thousand browsers watching a hotel cost one execution per event, not
 * ten thousand. Subscribers whose event differs (a date filter keeps some nights: the
 * feed hands them an object of their own) are executed on their own.
 *
 * The results are kept beside the event object (a WeakMap), so they go when it does.
 */
export function createSharedSubscribe<TContext>(callerOf: (context: TContext) => string) {
  const documentIds = new WeakMap<DocumentNode, number>();
  let nextDocumentId = 0;
  const results = new WeakMap<object, Map<string, ReturnType<typeof execute>>>();

  const keyOf = (args: ExecutionArgs): string => {
    let id = documentIds.get(args.document);
    if (id === undefined) documentIds.set(args.document, (id = nextDocumentId++));
    return JSON.stringify([id, args.operationName ?? null, args.variableValues ?? null, callerOf(args.contextValue as TContext)]);
  };

  const executeOnce = (args: ExecutionArgs, key: string, event: unknown) => {
    if (typeof event !== 'object' || event === null) return execute({ ...args, rootValue: event });
    let byKey = results.get(event);
    if (!byKey) results.set(event, (byKey = new Map()));
    let result = byKey.get(key);
    if (!result) byKey.set(key, (result = execute({ ...args, rootValue: event })));
    return result;
  };

  return async (args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> => {
    const stream = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in stream)) return stream;
    const key = keyOf(args);
    return mapStream(stream, (event) => executeOnce(args, key, event));
  };
}

/** The source's events through `map`, ending the source when the subscriber ends. */
function mapStream<T, R>(source: AsyncIterable<T>, map: (value: T) => R | Promise<R>): AsyncIterableIterator<R> {
  const iterator = source[Symbol.asyncIterator]();
  const done = async (): Promise<IteratorResult<R>> => {
    await iterator.return?.();
    return { value: undefined, done: true };
  };
  return {
    async next() {
      const result = await iterator.next();
      return result.done ? { value: undefined, done: true } : { value: await map(result.value), done: false };
    },
    return: done,
    async throw(error: unknown) {
      await done();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
