import type { EntityManager } from '@mikro-orm/postgresql';
import { z } from 'zod';

/**
 * A SQL statement or fragment with each binding written where it is used:
 * sql`select ... where room_type_id = ${roomTypeId}` keeps value and place together, so
 * no list of positional `?` has to be kept in order by hand. An interpolated `Sql` is
 * embedded with its own bindings (how the hold statement takes the outbox's and the
 * idempotency key's pieces); anything else becomes one binding.
 */
export class Sql {
  constructor(
    readonly text: string,
    readonly values: readonly unknown[],
  ) {}
}

export function sql(strings: TemplateStringsArray, ...bindings: unknown[]): Sql {
  let text = strings[0];
  const values: unknown[] = [];
  bindings.forEach((binding, i) => {
    if (binding instanceof Sql) {
      text += binding.text;
      values.push(...binding.values);
    } else {
      text += '?';
      values.push(binding);
    }
    text += strings[i + 1];
  });
  return new Sql(text, values);
}

/**
 * Runs a named statement and checks every row where it enters: a row that does not
 * have the shape the store declares is a bug, reported with the statement's name.
 * The name leads the text as a comment, so pg_stat_statements and the logs show it.
 */
export async function query<Row>(em: EntityManager, name: string, statement: Sql, row: z.ZodType<Row>): Promise<Row[]> {
  const rows = await em.execute<unknown[]>(named(name, statement), [...statement.values]);
  return rows.map((raw) => {
    const checked = row.safeParse(raw);
    if (!checked.success) throw new Error(`${name}: unexpected row: ${z.prettifyError(checked.error)}`);
    return checked.data;
  });
}

/** Runs a named statement that returns no rows; answers how many rows it changed. */
export async function execute(em: EntityManager, name: string, statement: Sql): Promise<number> {
  const result = await em.execute(named(name, statement), [...statement.values], 'run');
  return (result as { affectedRows?: number }).affectedRows ?? 0;
}

/** A PostgreSQL array literal of ids, dates or integers (none of which need quoting), for `${...}::uuid[]`. */
export function pgArray(values: readonly (string | number)[]): string {
  return `{${values.join(',')}}`;
}

/** The statement in node-postgres' form (`$1`, `$2`, ...), for tools that talk to PostgreSQL without the ORM. */
export function toPg(statement: Sql): { text: string; values: unknown[] } {
  let n = 0;
  return { text: statement.text.replace(/\?/g, () => `$${++n}`), values: [...statement.values] };
}

const named = (name: string, statement: Sql) => `/* ${name} */ ${statement.text}`;

/**
 * Column types as PostgreSQL returns them through the driver: int2/int4 as numbers;
 * int8 (bigint, count(*)) and numeric as strings (PGlite may give numbers or bigints),
 * checked to be safe integers; dates selected as `::text`; jsonb already parsed.
 */
export const column = {
  int: z.number().int(),
  bigint: z
    .union([z.string().regex(/^-?\d+$/), z.number().int(), z.bigint()])
    .transform(Number)
    .refine(Number.isSafeInteger, 'not a safe integer'),
  text: z.string(),
  uuid: z.string().uuid(),
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  timestamp: z.union([z.date(), z.string()]).transform((value) => new Date(value)),
  boolean: z.boolean(),
};
