import { Arg, Authorized, FieldResolver, ID, Int, Mutation, Resolver, Root } from 'type-graphql';
import { Room } from '../../entities/catalog/room.entity.js';
import { RoomType } from '../../entities/catalog/room-type.entity.js';
import type { Caller } from '../../services/common/caller.js';
import { CreateRoomInput, UpdateRoomInput } from '../../schema/catalog/catalog.inputs.js';
import { CurrentUser, Services, type OperationServices } from '../context.js';

@Resolver(() => Room)
export class RoomResolver {
  @FieldResolver(() => RoomType)
  roomType(@Root() room: Room, @Services() s: OperationServices): Promise<RoomType> {
    return s.catalog.roomTypeOf(room);
  }

  @Authorized()
  @Mutation(() => Room)
  createRoom(
    @Arg('input') input: CreateRoomInput,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<Room> {
    return s.catalog.createRoom(caller, input);
  }

  @Authorized()
  @Mutation(() => Room)
  updateRoom(
    @Arg('input') input: UpdateRoomInput,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<Room> {
    return s.catalog.updateRoom(caller, input);
  }

  @Authorized()
  @Mutation(() => Boolean)
  deleteRoom(
    @Arg('id', () => ID) id: string,
    @Arg('version', () => Int) version: number,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<boolean> {
    return s.catalog.deleteRoom(caller, id, version);
  }
}
