import type { EntityManager } from '@mikro-orm/postgresql';
import { ReservationStatus } from '../../entities/booking/reservation.entity.js';
import { BookingItem } from '../../entities/venues/booking-item.entity.js';
import { SeatBlock } from '../../entities/venues/seat-block.entity.js';
import { TimeSlot } from '../../entities/venues/time-slot.entity.js';
import { DomainError, ErrorCode } from '../common/errors.js';
import type { LoadSnapshot, SeatRef } from './holds/hold-engine.js';
import { parseSeatId } from './seating/layout.js';
import type { VenueDeps } from './venue.deps.js';

type NotLoaded = 'not_loaded' | { ok: false; reason: 'not_loaded' };

const isNotLoaded = (value: unknown): value is NotLoaded =>
  value === 'not_loaded' ||
  (typeof value === 'object' && value !== null && (value as { reason?: unknown }).reason === 'not_loaded');

/** The seat of a seat id, with its section (ids are validated against the chart before they get here). */
export function seatRef(id: string): SeatRef {
  return { id, section: parseSeatId(id)!.section };
}

/** The engine cells a booking item stands for: its seat, or the cells of its tickets or table it names. */
export function itemUnits(item: Pick<BookingItem, 'seatId' | 'units'>): SeatRef[] {
  return item.seatId ? [seatRef(item.seatId)] : (item.units ?? []).map(({ id, section }) => ({ id, section }));
}

/** What a client is told to wait before retrying when the hold engine cannot be reached. */
const HOLD_ENGINE_RETRY_AFTER_SECONDS = 1;

/**
 * Runs a hold-engine operation on an offering (a performance, an exhibition, a
 * restaurant), rebuilding its state from PostgreSQL first when the engine has lost it
 * (Redis restarted empty): sold and pending cells from live booking items, blocked seats
 * from seat_block, slot capacities from time_slot. Open holds are not in PostgreSQL and
 * are lost; their holders get HOLD_EXPIRED. An engine that cannot be reached answers
 * BUSY: nothing changed, and the client may retry.
 */
export async function onSeats<T>(
  em: EntityManager,
  deps: VenueDeps,
  offeringId: string,
  operation: () => Promise<T>,
): Promise<Exclude<T, NotLoaded>> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const result = await engineCall(deps, operation);
    if (!isNotLoaded(result)) return result as Exclude<T, NotLoaded>;
    const snapshot = await recordedSeats(em, offeringId);
    if (await engineCall(deps, () => deps.engine.load(offeringId, snapshot))) {
      deps.logger.warn(
        { offeringId, sold: snapshot.sold.length, pending: snapshot.pending.length, blocked: snapshot.blocked.length },
        'rebuilt hold-engine state from PostgreSQL',
      );
    }
  }
  throw new DomainError(ErrorCode.BUSY, 'The hold engine is being rebuilt: retry shortly', {
    retryAfterSeconds: HOLD_ENGINE_RETRY_AFTER_SECONDS,
  });
}

async function engineCall<T>(deps: VenueDeps, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof DomainError) throw error;
    // Redis unreachable or restarting: nothing changed, so the client may simply retry. The
    // cause goes with the error: the GraphQL edge logs it once per outage, not once per call.
    throw new DomainError(
      ErrorCode.BUSY,
      'Holds are briefly unavailable: retry shortly',
      { retryAfterSeconds: HOLD_ENGINE_RETRY_AFTER_SECONDS },
      { cause: error },
    );
  }
}

/**
 * What PostgreSQL records of an offering's cells: the state a lost engine is rebuilt
 * from (sold and pending cells of live booking items, blocked seats, time slots' capacities).
 */
export async function recordedSeats(em: EntityManager, offeringId: string): Promise<LoadSnapshot> {
  const [items, blocks, slots] = await Promise.all([
    em.fork().find(
      BookingItem,
      { offeringId, live: true },
      { populate: ['booking'], fields: ['seatId', 'units', 'booking.id', 'booking.status'] },
    ),
    em.fork().find(SeatBlock, { performanceId: offeringId }),
    em.fork().find(TimeSlot, { exhibition: offeringId }, { fields: ['id', 'capacity', 'priceMinor'] }),
  ]);
  const snapshot: LoadSnapshot = {
    sold: [],
    pending: [],
    blocked: blocks.map((b) => seatRef(b.seatId)),
    capacities: slots.map((slot) => ({ section: slot.id, capacity: slot.capacity, price: slot.priceMinor })),
  };
  for (const item of items) {
    const pending = item.booking.getEntity().status === ReservationStatus.PENDING;
    for (const seat of itemUnits(item)) (pending ? snapshot.pending : snapshot.sold).push({ seat, bookingId: item.booking.id });
  }
  return snapshot;
}
