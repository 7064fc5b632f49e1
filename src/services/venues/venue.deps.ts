import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import type { HoldEngine } from './holds/hold-engine.js';
import type { ChartCache } from './seating/chart-cache.js';
import type { OfferingCache } from './holds/offering-context.js';

/** What every venue operation shares: the hold engine, the charts' seat indexes, the hold path's offerings, the clock. */
export interface VenueDeps {
  engine: HoldEngine;
  charts: ChartCache;
  offerings: OfferingCache;
  clock: Clock;
  logger: Logger;
}

/** A hold never lasts more than this from its creation (seats.io's cap), however often it is extended. */
export const MAX_HOLD_LIFETIME_MS = 120 * 60_000;
