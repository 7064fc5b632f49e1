import { registerEnumType } from 'type-graphql';
import { OfferingKind, OfferingStatus } from '../../entities/venues/offering.js';
import type { SeatStatusName } from '../../services/venues/holds/hold-engine.js';

registerEnumType(OfferingKind, { name: 'OfferingKind' });

registerEnumType(OfferingStatus, {
  name: 'OfferingStatus',
  valuesConfig: { CLOSED: { description: 'No new holds; existing bookings stand.' } },
});

/** A seat's status as clients see it; the hold engine's names. */
export const SeatStatus: { [Name in SeatStatusName]: Name } = {
  FREE: 'FREE',
  HELD: 'HELD',
  SOLD: 'SOLD',
  BLOCKED: 'BLOCKED',
};

registerEnumType(SeatStatus, {
  name: 'SeatStatus',
  valuesConfig: {
    HELD: { description: "Held by someone's unexpired hold, or in a checkout whose payment is running." },
    BLOCKED: { description: 'Taken out of sale by staff.' },
  },
});
