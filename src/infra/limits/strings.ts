import type { ValidationRule } from 'graphql';
import { queryTooComplex, refusedInput } from './limit-errors.js';

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Text PostgreSQL cannot store: NUL (refused in text and jsonb) and lone UTF-16
 * surrogates (not Unicode scalar values: jsonb refuses their escapes, and text would
 * silently get U+FFFD instead). One check for every string an operation carries.
 */
export function unstorableText(value: string): string | undefined {
  if (value.includes('\u0000')) return 'contains a NUL character (U+0000)';
  if (LONE_SURROGATE.test(value)) return 'contains a lone UTF-16 surrogate (not a Unicode character)';
  return undefined;
}

/** String literals of the document (arguments, list and object values, JSON literals). */
export const StorableStringsRule: ValidationRule = (context) => ({
  StringValue(node) {
    const problem = unstorableText(node.value);
    if (problem) context.reportError(refusedInput(`A string literal ${problem}`, { reason: 'unstorable-text' }, [node]));
  },
});

/** How deep variables may nest: deeper JSON overflows recursive consumers (JSON Schema checks, JSON.stringify). */
export const MAX_VARIABLES_DEPTH = 64;

/**
 * Walks the variables (iteratively: they may nest deeper than the stack) and refuses
 * unstorable text in any string or object key, and nesting past MAX_VARIABLES_DEPTH.
 */
export function checkVariables(variables: Readonly<Record<string, unknown>> | undefined) {
  if (!variables) return undefined;
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: variables, path: '$', depth: 0 }];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      const problem = unstorableText(value);
      if (problem) return refusedInput(`Variable ${path} ${problem}`, { field: path, reason: 'unstorable-text' });
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_VARIABLES_DEPTH) return queryTooComplex('variablesDepth', MAX_VARIABLES_DEPTH, depth + 1);
    if (Array.isArray(value)) {
      value.forEach((item, index) => stack.push({ value: item, path: `${path}[${index}]`, depth: depth + 1 }));
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      const problem = unstorableText(key);
      if (problem) return refusedInput(`A key in ${path} ${problem}`, { field: path, reason: 'unstorable-text' });
      stack.push({ value: item, path: depth === 0 ? `$${key}` : `${path}.${key}`, depth: depth + 1 });
    }
  }
  return undefined;
}
