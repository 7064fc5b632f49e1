import { Arg, Authorized, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Hotel } from '../../entities/catalog/hotel.entity.js';
import { Room } from '../../entities/catalog/room.entity.js';
import { RoomType } from '../../entities/catalog/room-type.entity.js';
import type { Caller } from '../../services/common/caller.js';
import { CreateRoomTypeInput, UpdateRoomTypeInput } from '../../schema/catalog/catalog.inputs.js';
import { CurrentUser, Services, type OperationServices } from '../context.js';

@Resolver(() => RoomType)
export class RoomTypeResolver {
  @Query(() => RoomType, { nullable: true })
  roomType(@Arg('id', () => ID) id: string, @Services() s: OperationServices): Promise<RoomType | null> {
    return s.catalog.roomType(id);
  }

  @FieldResolver(() => Hotel)
  hotel(@Root() roomType: RoomType, @Services() s: OperationServices): Promise<Hotel> {
    return s.catalog.hotelOf(roomType);
  }

  @FieldResolver(() => [Room])
  rooms(@Root() roomType: RoomType, @Services() s: OperationServices): Promise<Room[]> {
    return s.catalog.roomsOf(roomType);
  }

  @Authorized()
  @Mutation(() => RoomType)
  createRoomType(
    @Arg('input') input: CreateRoomTypeInput,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<RoomType> {
    return s.catalog.createRoomType(caller, input);
  }

  @Authorized()
  @Mutation(() => RoomType)
  updateRoomType(
    @Arg('input') input: UpdateRoomTypeInput,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<RoomType> {
    return s.catalog.updateRoomType(caller, input);
  }

  @Authorized()
  @Mutation(() => Boolean)
  deleteRoomType(
    @Arg('id', () => ID) id: string,
    @Arg('version', () => Int) version: number,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<boolean> {
    return s.catalog.deleteRoomType(caller, id, version);
  }
}
