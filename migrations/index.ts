import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261121000000_catalog } from './Migration20261121000000_catalog.js';
import { Migration20261121010000_reservations } from './Migration20261121010000_reservations.js';
import { Migration20261122000000_venues } from './Migration20261122000000_venues.js';
import { Migration20261122100000_key_claims } from './Migration20261122100000_key_claims.js';
import { Migration20261122110000_timed_entry_restaurants } from './Migration20261122110000_timed_entry_restaurants.js';
import { Migration20261123000000_hold_pricing } from './Migration20261123000000_hold_pricing.js';

/** Every migration, oldest first. A new migration is added here as well as in its own file. */
export const migrationsList: MigrationObject[] = [
  { name: 'Migration20261121000000_catalog', class: Migration20261121000000_catalog },
  { name: 'Migration20261121010000_reservations', class: Migration20261121010000_reservations },
  { name: 'Migration20261122000000_venues', class: Migration20261122000000_venues },
  { name: 'Migration20261122100000_key_claims', class: Migration20261122100000_key_claims },
  { name: 'Migration20261122110000_timed_entry_restaurants', class: Migration20261122110000_timed_entry_restaurants },
  { name: 'Migration20261123000000_hold_pricing', class: Migration20261123000000_hold_pricing },
];
