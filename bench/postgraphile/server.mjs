// The PostGraphile ceiling of the search benchmark: PostGraphile 4 on node:http over the
// schema of search.sql only, in a process of its own with its own install (this folder's
// package.json: PostGraphile 4 needs graphql 15, the server runs graphql 16, and the two
// cannot share a process). Started by bench/postgraphile.ts as
//
//   DATABASE_URL=... PORT=0 POOL_MAX=24 node bench/postgraphile/server.mjs
//
// It prints one JSON line with its url once the schema is built and it listens, and
// stops on SIGTERM (or SIGINT).
import { createServer } from 'node:http';
import process from 'node:process';
import pg from 'pg';
import { postgraphile } from 'postgraphile';

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error('DATABASE_URL is required');
const port = Number(process.env.PORT ?? 0);
const poolMax = Number(process.env.POOL_MAX ?? 10);
const schema = process.env.POSTGRAPHILE_SCHEMA ?? 'bench_postgraphile';

const pool = new pg.Pool({ connectionString: databaseUrl, max: poolMax });
// The options PostGraphile's docs give for production, less what the bench does not use.
const middleware = postgraphile(pool, [schema], {
  watchPg: false,
  graphiql: false,
  enhanceGraphiql: false,
  disableQueryLog: true,
  showErrorStack: false,
  extendedErrors: ['errcode'],
  disableDefaultMutations: true,
  // A function returning setof answers a plain list, not a connection.
  simpleCollections: 'only',
  setofFunctionsContainNulls: false,
  dynamicJson: false,
  ignoreRBAC: false,
  legacyRelations: 'omit',
  enableQueryBatching: false,
  retryOnInitFail: false,
});
// Build the schema before saying where we listen, so the first request is not the one that waits for it.
await middleware.getGraphQLSchema();

const server = createServer(middleware);
server.keepAliveTimeout = 60_000;
await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
const address = server.address();
process.stdout.write(`${JSON.stringify({ msg: 'postgraphile listening', url: `http://127.0.0.1:${address.port}/graphql` })}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await middleware.release();
  await pool.end();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
