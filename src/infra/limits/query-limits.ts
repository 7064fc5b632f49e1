import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  BREAK,
  GraphQLError,
  Kind,
  Lexer,
  NoSchemaIntrospectionCustomRule,
  parse,
  Source,
  TokenKind,
  visit,
  type DocumentNode,
  type GraphQLSchema,
  type ParseOptions,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { getComplexity } from 'graphql-query-complexity';
import type { QueryLimitsConfig } from '../config.js';
import { listCostEstimator } from './cost.js';
import { queryTooComplex, refusedInput, type LimitName } from './limit-errors.js';
import { checkVariables, StorableStringsRule } from './strings.js';

/**
 * How many fields the cost estimate may visit, fragments expanded. The estimate walks
 * the expanded tree (no memo), so this bounds its own time: a document whose expansion
 * is larger is refused without finishing the count (limit "selections").
 */
export const MAX_ESTIMATED_SELECTIONS = 20_000;

/** The parser's message when it stops at maxTokens (graphql-js 16 spells it "more that"). */
const TOKEN_LIMIT_MESSAGE = /Document contains more (?:than|that) (\d+) tokens\. Parsing aborted\./;

export interface QueryGuard {
  /** For the parser: it stops at the token limit (the parser recurses per nesting level, so this bounds its stack too). */
  readonly parseOptions: ParseOptions;
  /** Depth, aliases, directives, storable strings and (when off) introspection: static, so Apollo may cache the verdict with the document. */
  readonly validationRules: readonly ValidationRule[];
  /** Parses as Apollo does; a syntax error or the token limit comes back as an error. */
  parse(source: string): DocumentNode | GraphQLError;
  /**
   * After validation, before execution: the variables (storable strings, nesting, coercion)
   * and the estimated cost with them. `refused` when the operation may not run; otherwise
   * whether it is heavy (its estimated cost with these variables is at least
   * `heavyCost`). A document's worst case (any variables) is estimated once for all its
   * requests; a document whose worst case reaches a limit, or whose @include or @skip
   * takes a variable, is estimated once per request, with its variables.
   */
  checkOperation(
    schema: GraphQLSchema,
    document: DocumentNode,
    operationName: string | null | undefined,
    variables: Readonly<Record<string, unknown>> | null | undefined,
  ): OperationVerdict;
}

/** What `checkOperation` found: the refusal to answer, or that the operation may run, heavy or not. */
export type OperationVerdict = { refused: GraphQLError; heavy?: undefined } | { refused?: undefined; heavy: boolean };

export function createQueryGuard(limits: QueryLimitsConfig, options: { introspection: boolean }): QueryGuard {
  /** Worst-case costs (any variables) of the documents seen, by operation name. */
  const worstCosts = new WeakMap<DocumentNode, Map<string, number>>();
  /** Documents whose @include or @skip takes a variable: estimated with each request's variables only. */
  const perRequest = new WeakSet<DocumentNode>();
  const validationRules: ValidationRule[] = [
    measured('depth', limits.maxDepth, (onAccept) => maxDepthRule({ n: Number.MAX_SAFE_INTEGER, flattenFragments: true, onAccept })),
    measured('aliases', limits.maxAliases, (onAccept) => maxAliasesRule({ n: Number.MAX_SAFE_INTEGER, onAccept })),
    measured('directives', limits.maxDirectives, (onAccept) => maxDirectivesRule({ n: Number.MAX_SAFE_INTEGER, onAccept })),
    StorableStringsRule,
  ];
  if (!options.introspection) validationRules.push(NoSchemaIntrospectionCustomRule);
  const parseOptions: ParseOptions = { maxTokens: limits.maxTokens };

  return {
    parseOptions,
    validationRules,
    parse(source) {
      try {
        return parse(source, parseOptions);
      } catch (error) {
        const tooLong = tokenLimitError(error);
        if (tooLong) return tooLong;
        if (error instanceof GraphQLError) return error;
        throw error;
      }
    },
    checkOperation(schema, document, operationName, variables) {
      const refused = checkVariables(variables ?? undefined);
      if (refused) return { refused };
      // Apollo hands the same DocumentNode for every request of a query it has seen, so
      // the hot path estimates each query once. Not one whose @include or @skip takes a
      // variable: which fields count depends on each request's variables, so it has no
      // worst case of its own and each request is estimated with its variables.
      const key = operationName ?? '';
      let worst = worstCosts.get(document)?.get(key);
      if (worst === undefined && !perRequest.has(document)) {
        if (hasVariableConditions(document)) {
          perRequest.add(document);
        } else {
          const estimated = estimate(schema, document, operationName, variables, true);
          if (typeof estimated !== 'number') return { refused: estimated };
          if (!worstCosts.has(document)) worstCosts.set(document, new Map());
          worstCosts.get(document)!.set(key, (worst = estimated));
        }
      }
      const bound = worst ?? Infinity;
      const withinLimit = bound <= limits.maxCost;
      if (withinLimit && bound < limits.heavyCost) return { heavy: false };
      // Over a limit for some variables, or no worst case: these variables decide.
      const cost = estimate(schema, document, operationName, variables, false);
      if (withinLimit) return { heavy: typeof cost === 'number' && cost >= limits.heavyCost };
      if (typeof cost !== 'number') return { refused: cost };
      if (cost > limits.maxCost) return { refused: queryTooComplex('cost', limits.maxCost, cost) };
      return { heavy: cost >= limits.heavyCost };
    },
  };
}

/** Whether an @include or @skip of the document takes its condition from a variable. */
function hasVariableConditions(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Directive(node) {
      const conditional = node.name.value === 'include' || node.name.value === 'skip';
      if (conditional && node.arguments?.some((argument) => argument.value.kind === Kind.VARIABLE)) {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/**
 * QUERY_TOO_COMPLEX for a parse error that is the parser stopping at maxTokens (Apollo
 * parses HTTP documents itself, so format-error asks this), with the document's whole
 * token count as measured; undefined for any other error.
 */
export function tokenLimitError(error: unknown): GraphQLError | undefined {
  const parseError = syntaxErrorIn(error);
  const match = parseError ? TOKEN_LIMIT_MESSAGE.exec(parseError.message) : null;
  if (!parseError || !match) return undefined;
  return queryTooComplex('tokens', Number(match[1]), countTokens(parseError.source?.body ?? ''));
}

/**
 * The estimated cost of the operation (graphql-query-complexity over LIST_BOUNDS), or
 * the error to answer: too many selections to estimate, or variables that do not fit.
 */
function estimate(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>> | null | undefined,
  worstCase: boolean,
): number | GraphQLError {
  let visited = 0;
  const estimator = listCostEstimator({ worstCase });
  try {
    return getComplexity({
      schema,
      query: document,
      operationName: operationName ?? undefined,
      variables: variables ?? {},
      // The library's own node limit throws an untyped error: ours, counted in the estimator, is typed.
      maxQueryNodes: Number.MAX_SAFE_INTEGER,
      estimators: [
        (args) => {
          if (++visited > MAX_ESTIMATED_SELECTIONS) throw new SelectionsExceeded(visited);
          return estimator(args);
        },
      ],
    });
  } catch (error) {
    if (error instanceof SelectionsExceeded) return queryTooComplex('selections', MAX_ESTIMATED_SELECTIONS, error.visited);
    // Variables that do not fit their types: the client's, as Apollo reports them.
    if (error instanceof GraphQLError && !javaScriptCause(error)) return refusedInput(error.message, { reason: 'variables' });
    throw error;
  }
}

class SelectionsExceeded extends Error {
  constructor(readonly visited: number) {
    super(`more than ${MAX_ESTIMATED_SELECTIONS} selections`);
  }
}

type AcceptHandler = (context: ValidationContext | null, details: { n: number }) => void;

/**
 * One of graphql-armor's counting rules (memoised per fragment, so linear in the
 * document) run with no limit of its own: its count comes back through onAccept and is
 * compared here, so the refusal is typed (QUERY_TOO_COMPLEX with limit, maximum and
 * measured) and reported instead of thrown (a thrown error escapes validation as a 500).
 */
function measured(
  limit: LimitName,
  maximum: number,
  rule: (onAccept: AcceptHandler[]) => (context: ValidationContext) => object,
): ValidationRule {
  return (context) => {
    const onAccept: AcceptHandler = (_context, { n }) => {
      if (n > maximum) context.reportError(queryTooComplex(limit, maximum, n));
    };
    return rule([onAccept])(context) as ReturnType<ValidationRule>;
  };
}

/** Whether a JavaScript error (not a GraphQLError a scalar raised) is behind a GraphQLError. */
function javaScriptCause(error: GraphQLError): boolean {
  let cause: unknown = error.originalError;
  for (let hops = 0; cause instanceof GraphQLError && hops < 5; hops++) cause = cause.originalError;
  return cause !== undefined && cause !== null;
}

/** The graphql-js syntax error inside an error Apollo wrapped (or the error itself). */
function syntaxErrorIn(error: unknown): GraphQLError | undefined {
  let current: unknown = error;
  for (let hops = 0; current instanceof GraphQLError && hops < 5; hops++) {
    if (current.source && current.message.startsWith('Syntax Error')) return current;
    current = current.originalError;
  }
  return undefined;
}

/** Tokens of a document, as the parser counts them (comments are not tokens); lexing stops at the first bad character. */
export function countTokens(body: string): number {
  const lexer = new Lexer(new Source(body));
  let count = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF) count++;
  } catch {
    // A lexical error past the limit: the count so far is the measure.
  }
  return count;
}
