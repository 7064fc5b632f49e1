import { Arg, Authorized, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Hotel } from '../../entities/catalog/hotel.entity.js';
import { Reservation, ReservationStatus } from '../../entities/booking/reservation.entity.js';
import { RoomType } from '../../entities/catalog/room-type.entity.js';
import type { Caller } from '../../services/common/caller.js';
import { toConnection } from '../../schema/common/connection.js';
import { CurrentUser, Services, type OperationServices } from '../context.js';
import { money, Money } from '../../schema/common/money.js';
import { LocalDateScalar } from '../../schema/common/scalars.js';
import {
  CancelReservationInput,
  Guest,
  ReservationConnection,
  ReserveInput,
} from '../../schema/booking/reservation.types.js';

@Resolver(() => Reservation)
export class ReservationResolver {
  @Authorized()
  @Query(() => Reservation, { nullable: true, description: 'The owner, staff of its hotel, or admin.' })
  reservation(
    @Arg('id', () => ID) id: string,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<Reservation> {
    return s.reservations.get(caller, id);
  }

  @Authorized()
  @Query(() => ReservationConnection, { description: "The caller's own reservations, newest first." })
  async myReservations(
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<ReservationConnection> {
    return toConnection(await s.reservations.mine(caller, { first, after }));
  }

  @Authorized()
  @Query(() => ReservationConnection, { description: 'Staff of the hotel or admin.' })
  async hotelReservations(
    @Arg('hotelId', () => ID) hotelId: string,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('status', () => ReservationStatus, { nullable: true }) status: ReservationStatus | null,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<ReservationConnection> {
    return toConnection(await s.reservations.ofHotel(caller, hotelId, { first, after, status }));
  }

  @Authorized()
  @Mutation(() => Reservation)
  reserve(
    @Arg('input') input: ReserveInput,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<Reservation> {
    return s.saga.reserve(caller, input);
  }

  @Authorized()
  @Mutation(() => Reservation)
  cancelReservation(
    @Arg('input') input: CancelReservationInput,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<Reservation> {
    return s.reservations.cancel(caller, input);
  }

  @FieldResolver(() => Hotel)
  hotel(@Root() reservation: Reservation): Promise<Hotel> {
    return reservation.hotel.loadOrFail({ dataloader: true });
  }

  @FieldResolver(() => RoomType)
  roomType(@Root() reservation: Reservation): Promise<RoomType> {
    return reservation.roomType.loadOrFail({ dataloader: true });
  }

  // Dates are the contract's LocalDate: declared here, so the entity needs no GraphQL scalar.
  @FieldResolver(() => LocalDateScalar)
  checkIn(@Root() reservation: Reservation): string {
    return reservation.checkIn;
  }

  @FieldResolver(() => LocalDateScalar)
  checkOut(@Root() reservation: Reservation): string {
    return reservation.checkOut;
  }

  @FieldResolver(() => Guest)
  guest(@Root() reservation: Reservation): Guest {
    return { name: reservation.guestName, email: reservation.guestEmail };
  }

  @FieldResolver(() => Money)
  total(@Root() reservation: Reservation): Money {
    return money(reservation.totalMinor, reservation.currency);
  }
}
