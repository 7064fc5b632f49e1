import { setTimeout as delay } from 'node:timers/promises';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../common/logger.js';
import { markPublished, readUnpublished, tryLockRelay, type OutboxRow } from './outbox.store.js';

export type { OutboxRow };

/** Where the relay sends events: Redis, or this process's own bus. Rejects if they could not all be sent. */
export interface EventSink {
  publish(rows: readonly OutboxRow[]): Promise<void>;
}

export interface RelayOptions {
  intervalMs: number;
  batchSize: number;
}

/** A nudged relay runs at most this often: under a rush of bookings it publishes in batches, not once per commit. */
const NUDGED_GAP_MS = 5;

/**
 * Publishes committed outbox rows in `seq` order and stamps them published, in one
 * transaction per batch. One relay publishes at a time across all servers (a
 * transaction-scoped advisory lock), so the order holds everywhere. Writers of a
 * night take its row lock before they write their event, so a night's events are in
 * commit order. If the sink fails (Redis is down), the batch is rolled back and stays
 * in the outbox until the next try: events may be sent twice, never lost; their
 * event ids make duplicates droppable.
 */
export class OutboxRelay {
  private running = false;
  private loop?: Promise<void>;
  private failing = false;
  /** Something committed events since the relay last looked (`nudge`). */
  private nudged = false;
  /** Ends the relay's wait between runs early. */
  private wake?: () => void;

  constructor(
    private readonly em: EntityManager,
    private readonly sink: EventSink,
    private readonly logger: Logger,
    private readonly options: RelayOptions = { intervalMs: 50, batchSize: 500 },
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /**
   * This server committed events: publish them now rather than at the next poll (which
   * stays, for events committed elsewhere). Ignored while the sink is failing.
   */
  nudge(): void {
    this.nudged = true;
    if (!this.failing) this.wake?.();
  }

  /** Publishes one batch; returns how many rows it published (0 when another relay holds the lock). */
  async runOnce(): Promise<number> {
    return this.em.fork().transactional(async (tx) => {
      if (!(await tryLockRelay(tx))) return 0;
      const rows = await readUnpublished(tx, this.options.batchSize);
      if (rows.length === 0) return 0;
      await this.sink.publish(rows);
      await markPublished(tx, rows, new Date());
      return rows.length;
    });
  }

  private async run(): Promise<void> {
    while (this.running) {
      let published = 0;
      try {
        published = await this.runOnce();
        if (this.failing) this.logger.info('outbox relay publishing again');
        this.failing = false;
      } catch (err) {
        if (!this.failing) this.logger.warn({ err }, 'outbox relay cannot publish; events stay in the outbox');
        this.failing = true;
      }
      // A full batch means more are waiting: go again at once.
      if (published < this.options.batchSize) await this.pause(this.failing ? 500 : this.options.intervalMs);
    }
  }

  /** Waits `ms`, or less once nudged (at least NUDGED_GAP_MS after the last run). */
  private async pause(ms: number): Promise<void> {
    const gap = Math.min(ms, NUDGED_GAP_MS);
    await delay(gap);
    if (!this.running || (this.nudged && !this.failing)) {
      this.nudged = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms - gap);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
    this.nudged = false;
  }
}
