import { execFileSync } from 'node:child_process';

/**
 * With DATABASE_URL, every test file shares that database: migrate it once here, so
 * parallel workers never race to apply the same migration. Without it, each file
 * runs on its own in-memory PGlite, migrated when it starts. (A plain .js file:
 * Jest loads global setup outside its ESM transform.)
 */
export default function globalSetup() {
  if (!process.env.DATABASE_URL) return;
  execFileSync(
    process.execPath,
    ['--import', '@swc-node/register/esm-register', 'src/scripts/migrate.ts'],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, LOG_LEVEL: 'warn' } },
  );
}
