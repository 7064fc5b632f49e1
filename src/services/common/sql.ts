import { DeadlockException, DriverException, LockWaitTimeoutException } from '@mikro-orm/core';
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
 * Runs a statement in node-postgres' form as a prepared statement named `name` on a
 * connection of the pool (which keeps its plan), answering its rows and how many it
 * changed. The composition root installs one per database connection that has a pool
 * (`usePreparedStatements`).
 */
export type PreparedRunner = (
  name: string,
  statement: { text: string; values: unknown[] },
) => Promise<{ rows: unknown[]; rowCount: number | null }>;

const preparedRunners = new WeakMap<object, PreparedRunner>();

/**
 * Runs the statements `query` and `execute` are given outside a transaction on this
 * ORM connection (`em.getConnection()`) through `run`, as prepared statements. Through
 * the ORM, PostgreSQL parses and plans every statement anew (the ORM writes the values
 * into the text): planning the hold, the confirmation or a search costs more than running
 * it (bench/RESULTS.md). A prepared statement is planned a few times, then its generic plan
 * is kept by the connection.
 */
export function usePreparedStatements(connection: object, run: PreparedRunner): void {
  preparedRunners.set(connection, run);
}

/** Prepared statement names by text: the same text always gets the same name (`pg` requires it per connection). */
const preparedNames = new Map<string, string>();
/** Beyond this many distinct texts, statements run unnamed (planned each time), so connections do not keep plans without bound. */
const MAX_PREPARED = 1_000;

function preparedName(text: string): string | undefined {
  let name = preparedNames.get(text);
  if (name === undefined && preparedNames.size < MAX_PREPARED) preparedNames.set(text, (name = `s${preparedNames.size + 1}`));
  return name;
}

/** The statement's rows (and how many it changed): prepared on the pool when it may be, otherwise through the ORM. */
async function run(em: EntityManager, name: string, statement: Sql): Promise<{ rows: unknown[]; changed: number }> {
  const context = em.getContext(false);
  // A transaction's statements must run on its connection: through the ORM.
  const runner = context.getTransactionContext() ? undefined : preparedRunners.get(context.getConnection('write'));
  if (!runner) {
    const result = await em.execute<{ affectedRows?: number; rows?: unknown[] }>(named(name, statement).text, [...statement.values], 'run');
    return { rows: result.rows ?? [], changed: result.affectedRows ?? 0 };
  }
  const pg = toPg(named(name, statement));
  try {
    const result = await runner(preparedName(pg.text) ?? '', pg);
    return { rows: result.rows, changed: result.rowCount ?? 0 };
  } catch (error) {
    // The same errors as through the ORM (DeadlockException, UniqueConstraintViolationException, ...).
    throw em.getDriver().convertException(error as Error);
  }
}

/**
 * Runs a named statement and checks every row where it enters: a row that does not
 * have the shape the store declares is a bug, reported with the statement's name.
 * The name leads the text as a comment, so pg_stat_statements and the logs show it.
 */
export async function query<Row>(em: EntityManager, name: string, statement: Sql, row: z.ZodType<Row>): Promise<Row[]> {
  const { rows } = await run(em, name, statement);
  return rows.map((raw) => {
    const checked = row.safeParse(raw);
    if (!checked.success) throw new Error(`${name}: unexpected row: ${z.prettifyError(checked.error)}`);
    return checked.data;
  });
}

/** Runs a named statement that returns no rows; answers how many rows it changed. */
export async function execute(em: EntityManager, name: string, statement: Sql): Promise<number> {
  return (await run(em, name, statement)).changed;
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

const named = (name: string, statement: Sql) => new Sql(`/* ${name} */ ${statement.text}`, statement.values);

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

/**
 * Whether a statement failed for row-lock contention, which a retry may get past: a
 * deadlock or serialization failure, or PostgreSQL's `lock_timeout` (SQLSTATE 55P03,
 * lock_not_available, which MikroORM's converter leaves a plain DriverException).
 */
export function isLockContention(error: unknown): boolean {
  return (
    error instanceof DeadlockException ||
    error instanceof LockWaitTimeoutException ||
    (error instanceof DriverException && (error as { code?: unknown }).code === '55P03')
  );
}
