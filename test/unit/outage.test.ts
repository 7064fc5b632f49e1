import { describe, expect, it, jest } from '@jest/globals';
import { ConnectionException, DriverException, UniqueConstraintViolationException } from '@mikro-orm/core';
import { GraphQLError } from 'graphql';
import { retryAfterOf } from '../../src/infra/http-server.js';
import type { Logger } from '../../src/infra/logger.js';
import { OutageLog, outageOf } from '../../src/infra/outage.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('outageOf', () => {
  it.each([
    ['a refused connection', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a reset connection', withCode('read ECONNRESET', 'ECONNRESET')],
    ['a timed-out connection', withCode('connect ETIMEDOUT', 'ETIMEDOUT')],
    ['a broken pipe', withCode('write EPIPE', 'EPIPE')],
    ['an admin shutdown (57P01)', withCode('terminating connection due to administrator command', '57P01')],
    ['a crash shutdown (57P02)', withCode('terminating connection due to crash of another server process', '57P02')],
    ['a server starting up (57P03)', withCode('the database system is starting up', '57P03')],
    ['a connection failure (08006)', withCode('connection failure', '08006')],
    ['a connection cut mid-query', new Error('Connection terminated unexpectedly')],
    ['a pool that cannot connect in time', new Error('timeout exceeded when trying to connect')],
    ['a MikroORM ConnectionException', new ConnectionException(new Error('cannot connect'))],
    ['a DriverException over a refused connection', new DriverException(withCode('connect ECONNREFUSED', 'ECONNREFUSED'))],
    ['an AggregateError of refused addresses', Object.assign(new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], ''), { code: undefined })],
  ])('%s is a database outage', (_name, error) => {
    expect(outageOf(error)).toBe('database');
  });

  it.each([
    ['MaxRetriesPerRequestError', Object.assign(new Error('Reached the max retries per request limit (which is 1).'), { name: 'MaxRetriesPerRequestError' })],
    ['a closed connection', new Error('Connection is closed.')],
    ['an unwritable stream', new Error("Stream isn't writeable and enableOfflineQueue options is false")],
  ])('ioredis %s is a Redis outage', (_name, error) => {
    expect(outageOf(error)).toBe('redis');
  });

  it('walks cause chains and GraphQLError.originalError', () => {
    const root = withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED');
    const wrapped = new Error('saga step failed', { cause: new Error('query failed', { cause: root }) });
    expect(outageOf(new GraphQLError('x', { originalError: wrapped }))).toBe('database');
  });

  it.each([
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a missing table', withCode('relation "hotel" does not exist', '42P01')],
    ['a unique violation', new UniqueConstraintViolationException(withCode('duplicate key value', '23505'))],
    ['a non-error', 'ECONNREFUSED'],
    ['nothing', undefined],
  ])('%s is not an outage', (_name, error) => {
    expect(outageOf(error)).toBeUndefined();
  });

  it('survives a cause cycle', () => {
    const a = new Error('a') as Error & { cause?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(outageOf(a)).toBeUndefined();
  });
});

describe('OutageLog', () => {
  const fakeLogger = () => {
    const calls: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
    const logger = {
      warn: (obj: Record<string, unknown>, msg: string) => calls.push({ level: 'warn', obj, msg }),
      info: (obj: Record<string, unknown>, msg: string) => calls.push({ level: 'info', obj, msg }),
    } as unknown as Logger;
    return { logger, calls };
  };

  it('warns once per episode, counts, and reports the end after a quiet period', () => {
    jest.useFakeTimers();
    try {
      const { logger, calls } = fakeLogger();
      const log = new OutageLog(logger, 1_000);
      for (let i = 0; i < 50; i++) log.failure('database', new Error('connect ECONNREFUSED'));
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({ level: 'warn', obj: { dependency: 'database' } });
      jest.advanceTimersByTime(900);
      log.failure('database', new Error('connect ECONNREFUSED')); // refreshes the quiet period
      jest.advanceTimersByTime(900);
      expect(calls).toHaveLength(1);
      jest.advanceTimersByTime(200);
      expect(calls).toHaveLength(2);
      expect(calls[1]).toMatchObject({ level: 'info', msg: 'dependency back after 51 failures', obj: { failures: 51 } });

      log.failure('redis', new Error('Connection is closed.'));
      log.failure('database', new Error('Connection terminated unexpectedly'));
      expect(calls.filter((c) => c.level === 'warn')).toHaveLength(3);
      log.close();
      expect(calls.filter((c) => c.level === 'info')).toHaveLength(3);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('retryAfterOf', () => {
  it('reads the first error when it says how long to wait', () => {
    expect(retryAfterOf(JSON.stringify({ errors: [{ message: 'x', extensions: { code: 'BUSY', retryAfterSeconds: 2 } }] }))).toBe(2);
    expect(retryAfterOf(JSON.stringify({ errors: [{ message: 'x', extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 0.4 } }] }))).toBe(1);
  });

  it('is undefined otherwise', () => {
    expect(retryAfterOf(JSON.stringify({ data: { hotels: [] } }))).toBeUndefined();
    expect(retryAfterOf(JSON.stringify({ data: { note: '"retryAfterSeconds"' } }))).toBeUndefined();
    expect(retryAfterOf(JSON.stringify({ errors: [{ message: 'x', extensions: { code: 'BUSY' } }] }))).toBeUndefined();
  });
});
