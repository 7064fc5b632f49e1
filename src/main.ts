import 'reflect-metadata';
import { startApp } from './app/app.js';
import { ConfigError, loadConfig } from './infra/config.js';
import { createLogger } from './infra/logger.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Configuration error: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  logger.info(
    config.databaseUrl ? { database: 'postgresql' } : { database: 'embedded', dataDir: config.dataDir },
    'starting',
  );
  const app = await startApp({ config, logger });
  logger.info({ url: app.url }, `server ready at ${app.url}`);

  const shutdown = (signal: string) => {
    logger.info({ signal }, 'received signal');
    app.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
