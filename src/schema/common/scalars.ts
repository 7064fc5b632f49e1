import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { isLocalDate } from '../../services/common/dates.js';


function parseLocalDate(value: unknown): string {
  if (typeof value !== 'string' || !isLocalDate(value)) {
    throw new GraphQLError(`LocalDate must be a real date written YYYY-MM-DD, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Dates travel as 'YYYY-MM-DD' strings end to end: no time zone can shift them. */
export const LocalDateScalar = new GraphQLScalarType<string, string>({
  name: 'LocalDate',
  description: "A calendar date, YYYY-MM-DD, in the hotel's own time zone.",
  serialize: (value) => parseLocalDate(value),
  parseValue: parseLocalDate,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('LocalDate must be a string YYYY-MM-DD');
    return parseLocalDate(ast.value);
  },
});

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function parseDateTime(value: unknown): Date {
  const date = typeof value === 'string' && DATE_TIME.test(value) ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) {
    throw new GraphQLError(`DateTime must be ISO-8601 with an offset, got ${JSON.stringify(value)}`);
  }
  return date;
}

export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An instant, ISO-8601 with offset.',
  serialize(value) {
    const date = value instanceof Date ? value : parseDateTime(value);
    return date.toISOString();
  },
  parseValue: parseDateTime,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be a string');
    return parseDateTime(ast.value);
  },
});
