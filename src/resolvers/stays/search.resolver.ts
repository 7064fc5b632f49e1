import { Arg, FieldResolver, ID, Int, Query, Resolver, Root } from 'type-graphql';
import { RoomType } from '../../entities/catalog/room-type.entity.js';
import { Services, type OperationServices } from '../context.js';
import { money } from '../../schema/common/money.js';
import { NightlyPrice, RoomOffer } from '../../schema/stays/inventory.types.js';
import { LocalDateScalar } from '../../schema/common/scalars.js';

@Resolver(() => RoomOffer)
export class SearchResolver {
  @Query(() => [RoomOffer], {
    description:
      'Room types of the hotel that can take the whole stay, priced. checkOut is exclusive; at most 30 nights.',
  })
  async searchAvailability(
    @Arg('hotelId', () => ID) hotelId: string,
    @Arg('checkIn', () => LocalDateScalar) checkIn: string,
    @Arg('checkOut', () => LocalDateScalar) checkOut: string,
    @Arg('rooms', () => Int, { nullable: true, defaultValue: 1 }) rooms: number | null,
    @Services() s: OperationServices,
  ): Promise<RoomOffer[]> {
    const offers = await s.search.search({ hotelId, checkIn, checkOut, rooms });
    return offers.map((offer) => ({ offer, available: offer.available, total: money(offer.totalMinor, offer.currency) }));
  }

  @FieldResolver(() => RoomType)
  roomType(@Root() { offer }: RoomOffer, @Services() s: OperationServices): RoomType {
    return s.search.roomTypeOf(offer.roomType);
  }

  @FieldResolver(() => [NightlyPrice])
  nights(@Root() { offer }: RoomOffer): NightlyPrice[] {
    return offer.nights.map((night) => ({ date: night.date, price: money(night.priceMinor, offer.currency) }));
  }
}
