import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DeadlockException, UniqueConstraintViolationException } from '@mikro-orm/core';
import { z } from 'zod';
import type { Orm } from '../../src/infra/database.js';
import { execute, query, sql } from '../../src/services/common/sql.js';
import { openTestDatabase, testConfig } from '../helpers/server.js';

/**
 * On PostgreSQL the stores' statements outside a transaction run as prepared statements
 * on the ORM's pool (services/common/sql.ts, `usePreparedStatements`): planned a few
 * times, then kept. Inside a transaction they must still run on its connection, and
 * errors must be the ORM's either way (the saga tells contention and conflicts apart by
 * their class).
 */
const describeOnPostgres = process.env.DATABASE_URL ? describe : describe.skip;

let orm: Orm;

beforeAll(async () => {
  orm = await openTestDatabase(testConfig(), 4);
});

afterAll(() => orm.close());

describeOnPostgres('statements on PostgreSQL', () => {
  const prepared = () =>
    query(
      orm.em.fork(),
      'test.prepared',
      sql`select name, statement from pg_prepared_statements where statement like ${'%test.prepared%'}`,
      z.object({ name: z.string(), statement: z.string() }),
    );

  it('outside a transaction run prepared, under one name per text, with their values bound', async () => {
    // The connection that runs it has it among its prepared statements (pg_prepared_statements is per session).
    const seen = await prepared();
    expect(seen).toHaveLength(1);
    expect(seen[0].statement).toContain('$1');
    const again = await prepared();
    expect(again.map((s) => s.name)).toEqual(seen.map((s) => s.name));
  });

  it('inside a transaction run on its connection: they see its writes, and a rollback undoes them', async () => {
    const key = `prepared-${randomUUID()}`;
    const inserted = (em: Parameters<typeof execute>[0]) =>
      query(em, 'test.prepared.count', sql`select count(*)::int as n from idempotency_key where key = ${key}`, z.object({ n: z.number() }));
    await expect(
      orm.em.fork().transactional(async (tx) => {
        await execute(
          tx,
          'test.prepared.insert',
          sql`insert into idempotency_key (principal, operation, key, request_hash, state, locked_until, created_at, expires_at)
              values ('p', 'test', ${key}, 'h', 'running', now(), now(), now())`,
        );
        expect((await inserted(tx))[0].n).toBe(1);
        // Another connection does not see it before the commit.
        expect((await inserted(orm.em.fork()))[0].n).toBe(0);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect((await inserted(orm.em.fork()))[0].n).toBe(0);
  });

  it("raise the ORM's exceptions", async () => {
    const key = `prepared-${randomUUID()}`;
    const insert = () =>
      execute(
        orm.em.fork(),
        'test.prepared.duplicate',
        sql`insert into idempotency_key (principal, operation, key, request_hash, state, locked_until, created_at, expires_at)
            values ('p', 'test', ${key}, 'h', 'running', now(), now(), now())`,
      );
    expect(await insert()).toBe(1);
    await expect(insert()).rejects.toBeInstanceOf(UniqueConstraintViolationException);
    await expect(execute(orm.em.fork(), 'test.prepared.deadlock', sql`do $$ begin raise exception using errcode = '40P01'; end $$`)).rejects.toBeInstanceOf(
      DeadlockException,
    );
  });
});
