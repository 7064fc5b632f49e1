import { Arg, Authorized, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ReservationStatus } from '../../entities/booking/reservation.entity.js';
import { Booking } from '../../entities/venues/booking.entity.js';
import { Venue } from '../../entities/venues/venue.entity.js';
import type { Caller } from '../../services/common/caller.js';
import { toConnection } from '../../schema/common/connection.js';
import { money, Money } from '../../schema/common/money.js';
import { Guest } from '../../schema/booking/reservation.types.js';
import { CheckoutInput } from '../../schema/venues/hold.types.js';
import {
  BookingConnection,
  BookingItem,
  CancelBookingInput,
  UpdateBookingDetailsInput,
} from '../../schema/venues/booking.types.js';
import { JSONObjectScalar } from '../../schema/venues/json-object.js';
import { CurrentUser, Services, type OperationServices } from '../context.js';

@Resolver(() => Booking)
export class BookingResolver {
  @Authorized()
  @Query(() => Booking, { nullable: true, description: 'The owner, staff of its venue, or admin.' })
  booking(
    @Arg('id', () => ID) id: string,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<Booking> {
    return s.bookings.get(caller, id);
  }

  @Authorized()
  @Query(() => BookingConnection)
  async myBookings(
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<BookingConnection> {
    return toConnection(await s.bookings.mine(caller, { first, after }));
  }

  @Authorized()
  @Query(() => BookingConnection, { description: 'Staff of the venue or admin.' })
  async venueBookings(
    @Arg('venueId', () => ID) venueId: string,
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('status', () => ReservationStatus, { nullable: true }) status: ReservationStatus | null,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<BookingConnection> {
    return toConnection(await s.bookings.ofVenue(caller, venueId, { first, after, status }));
  }

  @Authorized()
  @Mutation(() => Booking)
  checkout(
    @Arg('input') input: CheckoutInput,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<Booking> {
    return s.checkout.checkout(caller, input);
  }

  @Authorized()
  @Mutation(() => Booking, { description: 'The owner, staff of the venue, or admin, while the booking is PENDING or CONFIRMED (else INVALID_STATE).' })
  updateBookingDetails(
    @Arg('input') input: UpdateBookingDetailsInput,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<Booking> {
    return s.bookings.updateDetails(caller, input);
  }

  @Authorized()
  @Mutation(() => Booking, { description: 'The owner, staff of the venue, or admin. Releases the units and refunds what was paid.' })
  cancelBooking(
    @Arg('input') input: CancelBookingInput,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<Booking> {
    return s.bookings.cancel(caller, input);
  }

  @FieldResolver(() => Venue)
  venue(@Root() booking: Booking): Promise<Venue> {
    return booking.venue.loadOrFail({ dataloader: true });
  }

  @FieldResolver(() => [BookingItem])
  async items(@Root() booking: Booking): Promise<BookingItem[]> {
    const items = await booking.items.load({ dataloader: true });
    return items.map((item) => ({
      seatId: item.seatId,
      timeSlotId: item.timeSlotId,
      tableId: item.tableId,
      startsAt: item.startsAt,
      endsAt: item.endsAt,
      quantity: item.quantity,
      price: money(item.priceMinor, booking.currency),
    }));
  }

  @FieldResolver(() => Guest)
  guest(@Root() booking: Booking): Guest {
    return { name: booking.guestName, email: booking.guestEmail };
  }

  @FieldResolver(() => JSONObjectScalar, { nullable: true, description: "As given at checkout, after validation against the offering's detailsSchema." })
  details(@Root() booking: Booking): Record<string, unknown> | null {
    return booking.details;
  }

  @FieldResolver(() => Money)
  total(@Root() booking: Booking): Money {
    return money(booking.totalMinor, booking.currency);
  }
}
