import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { openDatabase } from '../../src/infra/database.js';
import { createHotel } from '../helpers/catalog.js';
import { errorCode } from '../helpers/graphql.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const HOTELS = '{ hotels { edges { node { id name } } } }';

describe('an unexpected failure', () => {
  let server: TestServer;

  beforeAll(async () => {
    // A database the migrations never reached: every query fails inside the driver.
    server = await startTestServer({}, { orm: await openDatabase({ dataDir: 'memory://' }) });
  });

  afterAll(() => server.stop());

  it('reaches the client as INTERNAL_SERVER_ERROR with no stack, SQL or driver message', async () => {
    const response = await fetch(server.app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: HOTELS }),
    });
    const text = await response.text();
    const body = JSON.parse(text);
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0]).toEqual({
      message: 'Internal server error',
      path: ['hotels'],
      locations: [{ line: 1, column: 3 }],
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(text).not.toMatch(/select|from "hotel"|stack|at .*\.js|pool|connection/i);
  });

  it('is logged once, as structured JSON with its cause', () => {
    const logged = server.logs.filter((record) => record.msg === 'unexpected error in GraphQL operation');
    expect(logged).toHaveLength(1);
    const err = logged[0].err as { message: string; stack: string };
    expect(logged[0]).toMatchObject({ level: 'error', path: ['hotels'] });
    expect(err.message).toMatch(/relation "hotel" does not exist/);
    expect(err.stack).toContain('at ');
  });
});

describe('malformed requests are BAD_USER_INPUT', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(() => server.stop());

  const post = (body: string, contentType = 'application/json') =>
    fetch(server.app.url, { method: 'POST', headers: { 'content-type': contentType }, body });

  it.each([
    ['a body that is not JSON', '{"query": '],
    ['a query that does not parse', JSON.stringify({ query: '{ hotels { edges ' })],
    ['an unknown field', JSON.stringify({ query: '{ hotels { nope } }' })],
    ['a variable of the wrong type', JSON.stringify({ query: 'query($id: ID!) { hotel(id: $id) { id } }', variables: { id: { a: 1 } } })],
    ['a missing required variable', JSON.stringify({ query: 'query($id: ID!) { hotel(id: $id) { id } }' })],
    ['no query at all', JSON.stringify({})],
  ])('%s', async (_name, body) => {
    const response = await post(body);
    expect(response.status).toBe(400);
    const json = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(json.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(
      json.errors.map(() => 'BAD_USER_INPUT'),
    );
  });

  it('a body over 1 MiB is refused with 413', async () => {
    const response = await post(JSON.stringify({ query: HOTELS, variables: { pad: 'x'.repeat(1024 * 1024) } }));
    expect(response.status).toBe(413);
    expect(errorCode({ status: 413, ...((await response.json()) as object) })).toBe('BAD_USER_INPUT');
  });

  it('a form-encoded POST is refused (CSRF prevention) without running the operation', async () => {
    const admin = await server.token({ sub: 'admin-e', role: 'admin' });
    const before = await createHotel(server.client, admin);
    const response = await fetch(server.app.url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${admin}` },
      body: JSON.stringify({ query: `mutation { deleteHotel(id: "${before.id}", version: 1) }` }),
    });
    expect(response.status).toBe(400);
    expect((await server.client.ok('query($id: ID!) { hotel(id: $id) { id } }', { id: before.id })).hotel).not.toBeNull();
  });

  it('an unknown path is 404', async () => {
    const response = await fetch(new URL('/nope', server.app.url));
    expect(response.status).toBe(404);
  });
});
