import {
  ForeignKeyConstraintViolationException,
  LockMode,
  UniqueConstraintViolationException,
  type EntityClass,
  type FilterQuery,
} from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Hotel } from '../../entities/catalog/hotel.entity.js';
import { isId } from '../../entities/id.js';
import { Reservation } from '../../entities/booking/reservation.entity.js';
import { RoomTypeRate } from '../../entities/stays/room-type-rate.entity.js';
import { Room } from '../../entities/catalog/room.entity.js';
import { RoomType } from '../../entities/catalog/room-type.entity.js';
import type { Caller } from '../common/caller.js';
import { ifGiven, validate } from './catalog.validation.js';
import { badInput, invalidState, notFound, versionConflict } from '../common/errors.js';
import type { InventoryService } from '../stays/inventory.service.js';
import { findManaged } from '../common/lookup.js';
import { bumpVersion } from '../common/versioning.js';
import { recordCatalogChange } from './catalog-events.js';
import type { StayViews } from '../stays/stay-cache.js';
import { decodeCursor, encodeCursor, pageSize, toPage, type Page, type PageRequest } from '../common/pagination.js';

/** Fields a client may leave out (or, in an update, send as null to mean "unchanged"). */
type Optional<T> = { [K in keyof T]?: T[K] | null };
/** An update: the entity's id, the version the client read, and any of the editable fields. */
type Update<T> = { id: string; version: number } & Optional<T>;

type HotelFields = Pick<Hotel, 'name' | 'city' | 'timezone' | 'currency'>;
export type CreateHotelData = HotelFields & Optional<Pick<Hotel, 'address' | 'overbookingPercent'>>;
export type UpdateHotelData = Update<HotelFields & Pick<Hotel, 'address' | 'overbookingPercent'>>;

type RoomTypeFields = Pick<RoomType, 'name' | 'maxOccupancy'>;
export type CreateRoomTypeData = RoomTypeFields & Optional<Pick<RoomType, 'description'>> & { hotelId: string };
export type UpdateRoomTypeData = Update<RoomTypeFields & Pick<RoomType, 'description'>>;

export type CreateRoomData = Pick<Room, 'number'> & Optional<Pick<Room, 'floor'>> & { roomTypeId: string };
export type UpdateRoomData = Update<Pick<Room, 'number' | 'floor' | 'outOfService'>>;

type Versioned = Hotel | RoomType | Room;

/**
 * Hotels, room types and rooms. Owns the permission checks: reads are public;
 * createHotel is for admins; every other change is for admins or staff of the hotel.
 * Concurrent edits are settled by the version column: the UPDATE carries the
 * version the client read, and a stale one fails as VERSION_CONFLICT.
 */
export class CatalogService {
  constructor(
    private readonly em: EntityManager,
    private readonly inventory: InventoryService,
    private readonly views: StayViews,
  ) {}

  // ---- reads ----

  hotel(id: string): Promise<Hotel | null> {
    return isId(id) ? this.em.findOne(Hotel, id) : Promise.resolve(null);
  }

  roomType(id: string): Promise<RoomType | null> {
    return isId(id) ? this.em.findOne(RoomType, id) : Promise.resolve(null);
  }

  async hotels(page: PageRequest & { city?: string | null }): Promise<Page<Hotel>> {
    const size = pageSize(page.first);
    const where: FilterQuery<Hotel> = {};
    if (page.city != null) where.city = page.city.trim();
    if (page.after != null) where.id = { $gt: decodeCursor(page.after, isId) };
    const rows = await this.em.find(Hotel, where, { orderBy: { id: 'asc' }, limit: size + 1 });
    return toPage(rows, size, (hotel) => encodeCursor(hotel.id));
  }

  /** Batched across all hotels of one operation by MikroORM's dataloader. */
  async roomTypesOf(hotel: Hotel): Promise<RoomType[]> {
    return (await hotel.roomTypes.load({ orderBy: { id: 'asc' } })).getItems();
  }

  async roomsOf(roomType: RoomType): Promise<Room[]> {
    return (await roomType.rooms.load({ orderBy: { number: 'asc' } })).getItems();
  }

  hotelOf(owner: RoomType | Room): Promise<Hotel> {
    return owner.hotel.loadOrFail({ dataloader: true });
  }

  roomTypeOf(room: Room): Promise<RoomType> {
    return room.roomType.loadOrFail({ dataloader: true });
  }

  // ---- hotels ----

  async createHotel(caller: Caller, data: CreateHotelData): Promise<Hotel> {
    caller.requireAdmin();
    const hotel = this.em.create(Hotel, {
      name: validate.name(data.name),
      city: validate.city(data.city),
      address: validate.address(data.address ?? null),
      timezone: validate.timezone(data.timezone),
      currency: validate.currency(data.currency),
      overbookingPercent: validate.overbookingPercent(data.overbookingPercent ?? 10),
    });
    await this.em.flush();
    return hotel;
  }

  async updateHotel(caller: Caller, data: UpdateHotelData): Promise<Hotel> {
    return this.changing(data.id, async (tx) => {
      const hotel = await findManaged(tx, caller, Hotel, data.id);
      const changes = {
        name: ifGiven(data.name, validate.name),
        city: ifGiven(data.city, validate.city),
        address: ifGiven(data.address, validate.address),
        timezone: ifGiven(data.timezone, validate.timezone),
        currency: ifGiven(data.currency, validate.currency),
        overbookingPercent: ifGiven(data.overbookingPercent, validate.overbookingPercent),
      };
      if (changes.currency !== undefined && changes.currency !== hotel.currency) {
        await this.assertNoMoneyRecorded(tx, hotel.id);
      }
      const overbookingChanged =
        changes.overbookingPercent !== undefined && changes.overbookingPercent !== hotel.overbookingPercent;
      await this.saveChanges(tx, hotel, data.version, changes);
      if (overbookingChanged) await this.inventory.applyOverbooking(tx, hotel);
      return hotel;
    });
  }

  /** Rates and prices are amounts in the hotel's currency: they would silently change meaning. */
  private async assertNoMoneyRecorded(em: EntityManager, hotelId: string): Promise<void> {
    const [rates, reservations] = await Promise.all([
      em.count(RoomTypeRate, { hotel: hotelId }),
      em.count(Reservation, { hotel: hotelId }),
    ]);
    if (rates + reservations > 0) {
      throw invalidState('the currency cannot change once the hotel has rates or reservations');
    }
  }

  async deleteHotel(caller: Caller, id: string, version: number): Promise<boolean> {
    await findManaged(this.em, caller, Hotel, id);
    return this.changing(id, (tx) => this.deleteVersioned(tx, Hotel, id, version, { hotel: id }));
  }

  // ---- room types ----

  async createRoomType(caller: Caller, data: CreateRoomTypeData): Promise<RoomType> {
    const hotel = await findManaged(this.em, caller, Hotel, data.hotelId);
    const fields = {
      name: validate.name(data.name),
      description: validate.description(data.description ?? null),
      maxOccupancy: validate.maxOccupancy(data.maxOccupancy),
    };
    return this.changing(hotel.id, async (tx) => {
      const roomType = tx.create(RoomType, { hotel: hotel.id, ...fields });
      await tx.flush();
      return roomType;
    });
  }

  async updateRoomType(caller: Caller, data: UpdateRoomTypeData): Promise<RoomType> {
    const roomType = await findManaged(this.em, caller, RoomType, data.id);
    const changes = {
      name: ifGiven(data.name, validate.name),
      description: ifGiven(data.description, validate.description),
      maxOccupancy: ifGiven(data.maxOccupancy, validate.maxOccupancy),
    };
    return this.changing(roomType.hotel.id, (tx) => this.saveChanges(tx, roomType, data.version, changes));
  }

  async deleteRoomType(caller: Caller, id: string, version: number): Promise<boolean> {
    const roomType = await findManaged(this.em, caller, RoomType, id);
    return this.changing(roomType.hotel.id, (tx) => this.deleteVersioned(tx, RoomType, id, version, { roomType: id }));
  }

  // ---- rooms ----

  async createRoom(caller: Caller, data: CreateRoomData): Promise<Room> {
    const roomType = await findManaged(this.em, caller, RoomType, data.roomTypeId);
    const number = validate.roomNumber(data.number);
    await this.assertRoomNumberFree(roomType.hotel.id, number);
    const room = this.em.create(Room, {
      hotel: roomType.hotel,
      roomType,
      number,
      floor: validate.floor(data.floor ?? null),
    });
    await this.flushRoom(number);
    return room;
  }

  async updateRoom(caller: Caller, data: UpdateRoomData): Promise<Room> {
    const room = await findManaged(this.em, caller, Room, data.id);
    const changes = {
      number: ifGiven(data.number, validate.roomNumber),
      floor: ifGiven(data.floor, validate.floor),
      outOfService: ifGiven(data.outOfService, validate.outOfService),
    };
    if (changes.number !== undefined && changes.number !== room.number) {
      await this.assertRoomNumberFree(room.hotel.id, changes.number);
    }
    return this.saveChanges(this.em, room, data.version, changes, () => this.flushRoom(changes.number));
  }

  async deleteRoom(caller: Caller, id: string, version: number): Promise<boolean> {
    await findManaged(this.em, caller, Room, id);
    return this.deleteVersioned(this.em, Room, id, version);
  }

  // ---- shared steps ----

  /**
   * A change to what searches show of a hotel (its fields, its room types): in one
   * transaction with its catalog event, then this server's search cache forgets the
   * hotel at once (the others when the event reaches them).
   */
  private async changing<T>(hotelId: string, work: (tx: EntityManager) => Promise<T>): Promise<T> {
    const result = await this.em.transactional(async (tx) => {
      const done = await work(tx);
      await recordCatalogChange(tx, hotelId);
      return done;
    });
    this.views.changedHere(hotelId);
    return result;
  }

  /**
   * Applies the given fields under the version the client read, with MikroORM's
   * optimistic locking: `em.lock` compares it with what we loaded, and the flush's
   * `UPDATE ... WHERE version = ?` settles writers that loaded the same version at
   * once. Either failure is an OptimisticLockError, which the edge maps to VERSION_CONFLICT.
   */
  private async saveChanges<T extends Versioned>(
    em: EntityManager,
    entity: T,
    version: number,
    changes: Partial<Record<string, unknown>>,
    flush: () => Promise<void> = () => em.flush(),
  ): Promise<T> {
    validate.version(version);
    await em.lock(entity, LockMode.OPTIMISTIC, version);
    const given = Object.entries(changes).filter(([, value]) => value !== undefined);
    const record = entity as unknown as Record<string, unknown>;
    if (given.every(([field, value]) => record[field] === value)) {
      // Nothing to write, but the caller still gets a compare-and-set: of writers that
      // read the same version, exactly one succeeds, whatever each of them sent.
      await bumpVersion(em, entity, version);
      return entity;
    }
    em.assign(entity, Object.fromEntries(given) as never);
    await flush();
    return entity;
  }

  /**
   * One statement, so the version check and the delete cannot be separated by another
   * writer. `reservations` names the reservations that forbid the delete: checked first
   * for a clear answer, and enforced by the foreign keys (ON DELETE RESTRICT) against a
   * reservation made in between.
   */
  private async deleteVersioned<T extends Versioned>(
    em: EntityManager,
    entity: EntityClass<T>,
    id: string,
    version: number,
    reservations?: FilterQuery<Reservation>,
  ): Promise<boolean> {
    validate.version(version);
    const what = entity.name;
    if (reservations && (await em.count(Reservation, reservations)) > 0) {
      throw invalidState(`${what} ${id} still has reservations and cannot be deleted`);
    }
    let deleted: number;
    try {
      deleted = await em.nativeDelete(entity, { id, version } as FilterQuery<T>);
    } catch (error) {
      if (error instanceof ForeignKeyConstraintViolationException) {
        throw invalidState(`${what} ${id} still has reservations and cannot be deleted`);
      }
      throw error;
    }
    if (deleted === 1) return true;
    const stillThere = await em.count(entity, { id } as FilterQuery<T>);
    throw stillThere ? versionConflict(what, id) : notFound(what, id);
  }

  private async assertRoomNumberFree(hotelId: string, number: string): Promise<void> {
    if (await this.em.count(Room, { hotel: hotelId, number })) {
      throw badInput('number', `room ${number} already exists in this hotel`);
    }
  }

  /** The unique index settles two concurrent creates of the same number. */
  private async flushRoom(number: string | undefined): Promise<void> {
    try {
      await this.em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw badInput('number', `room ${number} already exists in this hotel`);
      }
      throw error;
    }
  }
}
