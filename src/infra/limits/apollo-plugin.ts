import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { gateFull, type HeavyGate, type Leave } from './heavy-gate.js';
import type { QueryGuard } from './query-limits.js';
import { chargesOf, type RateLimits } from './rate-limits.js';

/**
 * The checks that need the request (who calls, the variables) run once the operation is
 * known and before anything executes: the caller's rate budget, then the variables and
 * the estimated cost. An error thrown here is Apollo's answer, with its HTTP status.
 * (Depth, aliases, directives, tokens and literal strings are checked at parse and
 * validation, QueryGuard.parseOptions and validationRules.) A heavy operation then waits
 * for a place in the gate, which it leaves once its answer is sent.
 */
export function limitsPlugin<TContext extends BaseContext>(
  guard: QueryGuard,
  rateLimits: RateLimits,
  heavy: HeavyGate,
  keyOf: (context: TContext) => string,
): ApolloServerPlugin<TContext> {
  return {
    requestDidStart: async () => {
      let leave: Leave | undefined;
      return {
        didResolveOperation: async ({ operation, document, schema, request, contextValue }) => {
          if (!operation) return;
          const limited = await rateLimits.consume(keyOf(contextValue), chargesOf(operation, document));
          if (limited) throw limited;
          const verdict = guard.checkOperation(schema, document, request.operationName, request.variables);
          if (verdict.refused) throw verdict.refused;
          if (!verdict.heavy) return;
          leave = await heavy.enter();
          if (!leave) throw gateFull();
        },
        willSendResponse: async () => leave?.(),
      };
    },
  };
}
