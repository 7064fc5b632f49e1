import { GraphQLError, GraphQLScalarType, Kind, valueFromASTUntyped } from 'graphql';

function asObject(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new GraphQLError('JSONObject must be a JSON object (not an array, string, number, boolean or null)');
  }
  return value as Record<string, unknown>;
}

/** Booking details and their JSON Schemas travel as JSON objects, as written. */
export const JSONObjectScalar = new GraphQLScalarType<Record<string, unknown>, Record<string, unknown>>({
  name: 'JSONObject',
  description: 'A JSON object (no top-level array or scalar).',
  serialize: asObject,
  parseValue: asObject,
  parseLiteral(ast, variables) {
    if (ast.kind !== Kind.OBJECT) throw new GraphQLError('JSONObject must be a JSON object literal');
    return asObject(valueFromASTUntyped(ast, variables));
  },
});
