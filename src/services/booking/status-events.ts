import type { EntityManager } from '@mikro-orm/postgresql';
import type { Reservation, ReservationStatus } from '../../entities/booking/reservation.entity.js';
import { newId } from '../../entities/id.js';
import { insertEvents, type NewOutboxEvent } from '../live/outbox.store.js';

export const RESERVATION_TOPIC = 'reservation';

/** The payload of a status event on the `reservation` topic. */
export interface StatusEvent {
  eventId: string;
  reservationId: string;
  hotelId: string;
  roomTypeId: string;
  status: ReservationStatus;
  checkIn: string;
  checkOut: string;
  rooms: number;
  at: string;
}

/** What a status event says of its reservation. */
export type StatusChange = Omit<StatusEvent, 'eventId' | 'at'>;

/** A reservation's status change, for consumers of the event stream, with a new event id. */
export function statusEvent(change: StatusChange, at: Date): NewOutboxEvent<StatusEvent> {
  return { topic: RESERVATION_TOPIC, payload: { eventId: newId(), ...change, at: at.toISOString() } };
}

/** The status change of a stored reservation into `status` (by default the one it has). */
export function statusChangeOf(reservation: Reservation, status = reservation.status): StatusChange {
  return {
    reservationId: reservation.id,
    hotelId: reservation.hotel.id,
    roomTypeId: reservation.roomType.id,
    status,
    checkIn: reservation.checkIn,
    checkOut: reservation.checkOut,
    rooms: reservation.rooms,
  };
}

/** Records a reservation's status (as it now has it) in the caller's transaction. */
export async function recordStatus(tx: EntityManager, reservation: Reservation, at: Date): Promise<void> {
  await insertEvents(tx, reservation.hotel.id, [statusEvent(statusChangeOf(reservation), at)], at);
}
