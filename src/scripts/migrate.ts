import 'reflect-metadata';
import { loadConfig } from '../infra/config.js';
import { databaseOptions, migrate, openDatabase } from '../infra/database.js';
import { createLogger } from '../infra/logger.js';

/** Applies pending migrations to DATABASE_URL (or the embedded database) and exits. */
const config = loadConfig();
const logger = createLogger(config.logLevel);
const orm = await openDatabase(databaseOptions(config), logger);
try {
  const applied = await migrate(orm);
  logger.info({ migrations: applied }, applied.length ? 'applied migrations' : 'database is up to date');
} finally {
  await orm.close();
}
