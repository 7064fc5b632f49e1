import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '../../src/infra/config.js';

const load = (env: Record<string, string>) => loadConfig({ JWT_SECRET: 'a-test-secret', ...env });

describe('CORS_ORIGINS', () => {
  it('is any origin when unset, empty or *', () => {
    expect(load({}).corsOrigins).toBe('*');
    expect(load({ CORS_ORIGINS: ' ' }).corsOrigins).toBe('*');
    expect(load({ CORS_ORIGINS: '*' }).corsOrigins).toBe('*');
    expect(load({ NODE_ENV: 'production' }).corsOrigins).toBe('*');
  });

  it('takes a comma list of origins, as browsers send them', () => {
    expect(load({ CORS_ORIGINS: 'https://app.example.com, http://localhost:5173,HTTP://Admin.Example.com/' }).corsOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
      'http://admin.example.com',
    ]);
  });

  it('refuses what is not an origin', () => {
    for (const bad of ['app.example.com', 'https://app.example.com/path', 'https://a.example.com,*', 'http://localhost:80']) {
      expect(() => load({ CORS_ORIGINS: bad })).toThrow(ConfigError);
    }
  });
});

describe('GRAPHQL_IDE', () => {
  it('is on outside production and off in production unless enabled', () => {
    expect(load({}).graphqlIde).toBe(true);
    expect(load({ NODE_ENV: 'test' }).graphqlIde).toBe(true);
    expect(load({ NODE_ENV: 'production' }).graphqlIde).toBe(false);
    expect(load({ NODE_ENV: 'production', GRAPHQL_IDE: 'true' }).graphqlIde).toBe(true);
    expect(load({ GRAPHQL_IDE: '0' }).graphqlIde).toBe(false);
    expect(() => load({ GRAPHQL_IDE: 'maybe' })).toThrow(ConfigError);
  });
});
