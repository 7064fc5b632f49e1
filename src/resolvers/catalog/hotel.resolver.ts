import { Arg, Authorized, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Hotel } from '../../entities/catalog/hotel.entity.js';
import { RoomType } from '../../entities/catalog/room-type.entity.js';
import type { Caller } from '../../services/common/caller.js';
import { CreateHotelInput, UpdateHotelInput } from '../../schema/catalog/catalog.inputs.js';
import { HotelConnection } from '../../schema/catalog/catalog.types.js';
import { toConnection } from '../../schema/common/connection.js';
import { CurrentUser, Services, type OperationServices } from '../context.js';

@Resolver(() => Hotel)
export class HotelResolver {
  @Query(() => Hotel, { nullable: true })
  hotel(@Arg('id', () => ID) id: string, @Services() s: OperationServices): Promise<Hotel | null> {
    return s.catalog.hotel(id);
  }

  @Query(() => HotelConnection)
  async hotels(
    @Arg('first', () => Int, { nullable: true, defaultValue: 20 }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('city', () => String, { nullable: true }) city: string | null,
    @Services() s: OperationServices,
  ): Promise<HotelConnection> {
    return toConnection(await s.catalog.hotels({ first, after, city }));
  }

  @FieldResolver(() => [RoomType])
  roomTypes(@Root() hotel: Hotel, @Services() s: OperationServices): Promise<RoomType[]> {
    return s.catalog.roomTypesOf(hotel);
  }

  @Authorized('admin')
  @Mutation(() => Hotel)
  createHotel(
    @Arg('input') input: CreateHotelInput,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<Hotel> {
    return s.catalog.createHotel(caller, input);
  }

  @Authorized()
  @Mutation(() => Hotel)
  updateHotel(
    @Arg('input') input: UpdateHotelInput,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<Hotel> {
    return s.catalog.updateHotel(caller, input);
  }

  @Authorized()
  @Mutation(() => Boolean)
  deleteHotel(
    @Arg('id', () => ID) id: string,
    @Arg('version', () => Int) version: number,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<boolean> {
    return s.catalog.deleteHotel(caller, id, version);
  }
}
