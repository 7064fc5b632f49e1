import { AVAILABILITY_TOPIC, type AvailabilityEvent } from '../stays/availability.js';
import { CATALOG_TOPIC, type CatalogEvent } from '../catalog/catalog-events.js';
import type { StayCache } from '../stays/stay-cache.js';
import type { AvailabilityBus } from './availability-bus.js';

/**
 * Where this server's copy of the committed events goes, in stream order: availability
 * to its search cache and its subscribers, catalog changes to the cache. Other topics
 * are for other readers.
 */
export class ServerEvents {
  constructor(
    private readonly bus: AvailabilityBus,
    private readonly cache: StayCache,
  ) {}

  handles(topic: string): boolean {
    return topic === AVAILABILITY_TOPIC || topic === CATALOG_TOPIC;
  }

  deliver(topic: string, payload: unknown): void {
    if (topic === AVAILABILITY_TOPIC) {
      this.cache.applyAvailability(payload as AvailabilityEvent);
      this.bus.publish(payload as AvailabilityEvent);
    } else if (topic === CATALOG_TOPIC) {
      this.cache.catalogChanged(payload as CatalogEvent);
    }
  }

  /** This server cannot read the stream: what it caches would fall behind. */
  streamLost(): void {
    this.cache.suspend();
  }

  /** This server has read the stream up to its newest entry (again). */
  streamCaughtUp(): void {
    this.cache.resume();
  }
}
