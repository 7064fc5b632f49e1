import cluster, { type Worker } from 'node:cluster';
import type { Logger } from './logger.js';

/**
 * SERVER_PROCESSES > 1: one primary process forks that many workers with node:cluster.
 * Each worker is the whole server (src/main.ts runs startApp as a single process does)
 * and they share the listening socket; the primary only forks, watches and stops them
 * and never loads the app. Several workers are several instances on one machine: what
 * they share lives in PostgreSQL and Redis (README, "Configuration").
 *
 * The primary:
 * - forks one worker first and the others once it is ready: a worker applies pending
 *   migrations at start, and MikroORM's migrator takes no lock, so two workers must not
 *   migrate a fresh database at the same time;
 * - logs "server ready at <url>" once, when every worker has told it (over the IPC
 *   channel) that it listens; if a worker dies before that, it stops the rest and
 *   exits 1, as a single process whose start fails does;
 * - afterwards forks a replacement for a worker that dies, after a back-off that grows
 *   with the deaths of the last minute (a crash loop waits up to 30 s between forks);
 * - on SIGTERM or SIGINT asks every worker to stop gracefully and exits when all have:
 *   0 if every one stopped cleanly, 1 otherwise.
 *
 * PORT=0: workers calling listen(0) share one random port for as long as one of them
 * holds it (node:cluster keys the shared socket by the address asked for). Should every
 * worker die at once, replacements ask for the announced port itself, so the address
 * does not change.
 */

const READY = 'reservation-server:ready';
const STOP = 'reservation-server:stop';

interface ReadyMessage {
  type: typeof READY;
  url: string;
}

function isMessage(message: unknown, type: string): boolean {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;
}

/** Back-off before replacing a dead worker: 250 ms after the first death of a minute, doubling to 30 s. */
export function restartDelayMs(deathsInLastMinute: number): number {
  return Math.min(30_000, 250 * 2 ** Math.max(0, deathsInLastMinute - 1));
}

export interface PrimaryOptions {
  processes: number;
  /** The configured PORT (0: a free one, chosen at the first listen). */
  port: number;
  logger: Logger;
}

/** Runs the primary: forks the workers, announces the server, replaces dead workers, stops them on a signal. */
export function runPrimary({ processes, port, logger }: PrimaryOptions): void {
  /** Workers forked and not yet exited, by worker id. */
  const alive = new Map<number, Worker>();
  /** URL each ready worker reported, by worker id. */
  const ready = new Map<number, string>();
  const deaths: number[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let announced: string | undefined;
  let forkPort: number | undefined;
  let stopping = false;
  let failed = false;

  const fork = (): void => {
    // No worker holds the shared socket of listen(0) any more: ask for the announced port.
    if (port === 0 && announced !== undefined && alive.size === 0) forkPort = Number(new URL(announced).port);
    const worker = cluster.fork(forkPort === undefined ? {} : { PORT: String(forkPort) });
    alive.set(worker.id, worker);
    worker.on('message', (message: unknown) => {
      if (isMessage(message, READY)) onReady(worker, (message as ReadyMessage).url);
    });
    // A failed send (the worker's channel just closed) is reported here; its exit follows.
    worker.on('error', (err: unknown) => logger.warn({ err, worker: worker.id }, 'worker channel error'));
  };

  const onReady = (worker: Worker, url: string): void => {
    ready.set(worker.id, url);
    if (stopping) {
      tellToStop(worker);
      return;
    }
    if (announced === undefined) {
      // The first worker has migrated the database: the others may start together.
      if (alive.size === 1 && ready.size === 1) for (let i = 1; i < processes; i++) fork();
      if (ready.size < processes) return;
      const urls = new Set(ready.values());
      if (urls.size > 1) logger.warn({ urls: [...urls] }, 'workers listen on different addresses');
      announced = url;
      logger.info({ url, processes }, `server ready at ${url}`);
      return;
    }
    logger.info({ worker: worker.id, pid: worker.process.pid }, 'worker replaced');
    if (url !== announced) logger.warn({ url, announced }, 'the replacement worker listens on another address');
  };

  const tellToStop = (worker: Worker): void => {
    if (worker.isConnected()) worker.send({ type: STOP });
    else worker.process.kill('SIGTERM');
  };

  const finishIfDone = (): void => {
    if (!stopping || alive.size > 0) return;
    logger.info({ failed }, 'all workers stopped');
    process.exit(failed ? 1 : 0);
  };

  const stopAll = (): void => {
    stopping = true;
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    for (const worker of alive.values()) tellToStop(worker);
    finishIfDone();
  };

  cluster.on('exit', (worker, code, signal) => {
    if (!alive.delete(worker.id)) return;
    ready.delete(worker.id);
    const detail = { worker: worker.id, pid: worker.process.pid, code, signal };
    if (stopping) {
      if (code !== 0 || signal !== null) {
        failed = true;
        logger.error(detail, 'worker did not stop cleanly');
      }
      finishIfDone();
      return;
    }
    if (announced === undefined) {
      failed = true;
      logger.error(detail, 'a worker exited before the server was ready: stopping');
      stopAll();
      return;
    }
    const now = Date.now();
    deaths.push(now);
    while (deaths[0] < now - 60_000) deaths.shift();
    const restartInMs = restartDelayMs(deaths.length);
    logger.warn({ ...detail, restartInMs }, 'worker died: forking a replacement');
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stopping) fork();
    }, restartInMs);
    timers.add(timer);
  });

  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'received signal');
    stopAll();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);

  fork();
}

/** In a worker: tells the primary this worker serves `url`. */
export function reportReady(url: string): void {
  process.send?.({ type: READY, url } satisfies ReadyMessage);
}

/**
 * In a worker: calls `stop` when the primary asks. (Should the primary die, node:cluster
 * makes its workers exit at once when the IPC channel closes: no orphan keeps the port.)
 */
export function onStopRequest(stop: (reason: string) => void): void {
  process.on('message', (message: unknown) => {
    if (isMessage(message, STOP)) stop('asked by the primary');
  });
}
