import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Orm } from '../../src/infra/database.js';
import { openTestDatabase, startTestServer, testConfig, type TestServer } from '../helpers/server.js';

let orm: Orm;
let withIde: TestServer;
let withoutIde: TestServer;

beforeAll(async () => {
  orm = await openTestDatabase(testConfig(), 4);
  withIde = await startTestServer({ graphqlIde: true }, { orm });
  withoutIde = await startTestServer({ graphqlIde: false }, { orm });
});

afterAll(async () => {
  await withIde?.app.stop();
  await withoutIde?.app.stop();
  await orm?.close();
});

const base = (server: TestServer) => server.app.url.replace(/\/graphql$/, '');
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

/** The src and href of a page's scripts and stylesheets. */
const assetsOf = (html: string) => [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((url) => !url.startsWith('data:'));

describe('the GraphQL IDE', () => {
  it('is what a browser gets on GET /graphql, every file of it from this server', async () => {
    const res = await fetch(withIde.app.url, { headers: { accept: BROWSER_ACCEPT } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await res.text();
    const assets = assetsOf(html);
    expect(assets).toEqual(expect.arrayContaining(['/assets/vendor/graphiql.min.js', '/assets/vendor/react.production.min.js', '/assets/ide.js']));
    for (const asset of assets) {
      // No CDN: nothing leaves this server.
      expect(asset.startsWith('/assets/')).toBe(true);
      const file = await fetch(`${base(withIde)}${asset}`);
      expect([asset, file.status]).toEqual([asset, 200]);
      expect(file.headers.get('content-type')).toMatch(asset.endsWith('.css') ? /^text\/css/ : /^text\/javascript/);
      expect((await file.arrayBuffer()).byteLength).toBeGreaterThan(100);
    }
  });

  it('leaves GraphQL requests to the API', async () => {
    const get = await fetch(`${withIde.app.url}?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(await get.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('is not served when GRAPHQL_IDE is off, nor is Apollo’s CDN landing page', async () => {
    const res = await fetch(withoutIde.app.url, { headers: { accept: BROWSER_ACCEPT } });
    expect(res.headers.get('content-type')).not.toContain('text/html');
    const body = await res.text();
    expect(body).not.toContain('<script');
  });
});

describe('/live and the static files', () => {
  it('serves the page and its module, also when the IDE is off', async () => {
    const res = await fetch(`${base(withoutIde)}/live?hotel=x`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(assetsOf(html)).toEqual(['/assets/live.css', '/assets/vendor/graphql-ws.min.js', '/assets/live.js']);
    const module = await fetch(`${base(withoutIde)}/assets/live.js`);
    expect(module.status).toBe(200);
    expect(await module.text()).toContain('availabilityChanged');
  });

  it('answers HEAD without a body, and 404 for any file not in its table', async () => {
    const head = await fetch(`${base(withIde)}/assets/vendor/graphql-ws.min.js`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(1000);
    for (const path of ['/assets/constructor', '/assets/__proto__', '/assets/../package.json', '/assets/%2e%2e/package.json', '/assets/vendor/']) {
      const res = await fetch(`${base(withIde)}${path}`);
      expect([path, res.status]).toEqual([path, 404]);
    }
  });
});
