import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/logger.js';
import type { HoldEngine } from './hold-engine.js';

/**
 * Releases expired holds of performances nobody touches (every engine operation purges
 * its own performance's first). Safe on every server at once: a purge is one atomic
 * engine step, and a hold purged twice is purged once.
 */
export class HoldReaper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly engine: HoldEngine,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  start(intervalMs: number): void {
    let failing = false;
    this.timer = setInterval(() => {
      this.running ??= this.engine
        .reap(this.clock.now().getTime())
        .then(() => {
          if (failing) this.logger.info('hold reaper running again');
          failing = false;
        })
        .catch((err: unknown) => {
          if (!failing) this.logger.warn({ err }, 'hold reaper failed; retrying');
          failing = true;
        })
        .finally(() => (this.running = undefined));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
