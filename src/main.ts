import 'reflect-metadata';
import cluster from 'node:cluster';
import { getHeapStatistics } from 'node:v8';
import type { App } from './app/app.js';
import { onStopRequest, reportReady, runPrimary } from './infra/cluster.js';
import { ConfigError, loadConfig, type Config } from './infra/config.js';
import { createLogger, type Logger } from './infra/logger.js';

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
  // SERVER_PROCESSES > 1: this is one of the workers (src/infra/cluster.ts).
  if (cluster.isWorker) return runWorker(config, logger.child({ worker: cluster.worker!.id, pid: process.pid }));
  logger.info(
    {
      ...(config.databaseUrl ? { database: 'postgresql' } : { database: 'embedded', dataDir: config.dataDir }),
      ...(config.serverProcesses > 1 ? { processes: config.serverProcesses } : {}),
      // `npm start` limits it (README, Operations); Node's own default is sized from the machine's memory.
      heapLimitMb: Math.round(getHeapStatistics().heap_size_limit / 1_048_576),
    },
    'starting',
  );
  // The primary of several processes only forks and watches: it never loads the app.
  if (config.serverProcesses > 1) return runPrimary({ processes: config.serverProcesses, port: config.port, logger });
  const { startApp } = await import('./app/app.js');
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

/**
 * One worker of several: the same server, stopped gracefully by the primary's message or a
 * signal (node:cluster makes it exit at once should the primary die). It reports its URL
 * to the primary, which announces the server.
 */
async function runWorker(config: Config, logger: Logger): Promise<void> {
  const started: { app?: App } = {};
  let stopping = false;
  const stop = (running: App) => {
    running.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  // Idempotent: Ctrl-C signals the whole process group, and the primary asks as well.
  const shutdown = (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'worker stopping');
    if (started.app) stop(started.app);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  onStopRequest(shutdown);

  const { startApp } = await import('./app/app.js');
  const app = (started.app = await startApp({ config, logger }));
  // Asked to stop while it was starting: stop now, never report ready.
  if (stopping) return stop(app);
  logger.info({ port: app.port }, 'worker ready');
  // pino writes asynchronously: flush first, so this line is written before the primary hears of it.
  logger.flush(() => reportReady(app.url));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
