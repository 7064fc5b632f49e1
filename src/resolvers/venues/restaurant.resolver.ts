import { Arg, Authorized, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { DiningTable } from '../../entities/venues/dining-table.entity.js';
import { Restaurant } from '../../entities/venues/restaurant.entity.js';
import { Venue } from '../../entities/venues/venue.entity.js';
import type { Caller } from '../../services/common/caller.js';
import { Money, money } from '../../schema/common/money.js';
import { LocalDateScalar } from '../../schema/common/scalars.js';
import {
  CreateDiningTableInput,
  CreateRestaurantInput,
  DiningSlot,
  OpeningHours,
  UpdateDiningTableInput,
  UpdateRestaurantInput,
} from '../../schema/venues/dining.types.js';
import { JSONObjectScalar } from '../../schema/venues/json-object.js';
import { CurrentUser, Services, type OperationServices } from '../context.js';

@Resolver(() => Restaurant)
export class RestaurantResolver {
  @Query(() => Restaurant, { nullable: true })
  restaurant(@Arg('id', () => ID) id: string, @Services() s: OperationServices): Promise<Restaurant | null> {
    return s.restaurants.restaurant(id);
  }

  @FieldResolver(() => Venue)
  venue(@Root() restaurant: Restaurant, @Services() s: OperationServices): Promise<Venue> {
    return s.restaurants.venueOf(restaurant);
  }

  @FieldResolver(() => [OpeningHours])
  openingHours(@Root() restaurant: Restaurant): OpeningHours[] {
    return restaurant.openingHours;
  }

  @FieldResolver(() => Money, { description: 'Charged at checkout per cover; "0" means checkout takes no payment and needs no paymentToken.' })
  async depositPerCover(@Root() restaurant: Restaurant, @Services() s: OperationServices): Promise<Money> {
    const venue = await s.restaurants.venueOf(restaurant);
    return money(restaurant.depositPerCoverMinor, venue.currency);
  }

  @FieldResolver(() => JSONObjectScalar, {
    nullable: true,
    description: "JSON Schema (draft 2020-12) that checkout's details must satisfy; null: details must be absent or {}.",
  })
  detailsSchema(@Root() restaurant: Restaurant): Record<string, unknown> | null {
    return restaurant.detailsSchema;
  }

  @FieldResolver(() => [DiningTable])
  tables(@Root() restaurant: Restaurant, @Services() s: OperationServices): Promise<DiningTable[]> {
    return s.restaurants.tablesOf(restaurant);
  }

  @FieldResolver(() => [DiningSlot], {
    description:
      'Seatings on this local date that a party of this size can have: a free table with minCovers <= partySize <= maxCovers for the whole turn.',
  })
  availability(
    @Root() restaurant: Restaurant,
    @Arg('date', () => LocalDateScalar) date: string,
    @Arg('partySize', () => Int) partySize: number,
    @Services() s: OperationServices,
  ): Promise<DiningSlot[]> {
    return s.restaurants.availability(restaurant, date, partySize);
  }

  @Authorized()
  @Mutation(() => Restaurant)
  createRestaurant(
    @Arg('input') input: CreateRestaurantInput,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<Restaurant> {
    return s.restaurants.createRestaurant(caller, input);
  }

  @Authorized()
  @Mutation(() => Restaurant)
  updateRestaurant(
    @Arg('input') input: UpdateRestaurantInput,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<Restaurant> {
    return s.restaurants.updateRestaurant(caller, input);
  }

  @Authorized()
  @Mutation(() => DiningTable)
  createDiningTable(
    @Arg('input') input: CreateDiningTableInput,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<DiningTable> {
    return s.restaurants.createDiningTable(caller, input);
  }

  @Authorized()
  @Mutation(() => DiningTable)
  updateDiningTable(
    @Arg('input') input: UpdateDiningTableInput,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<DiningTable> {
    return s.restaurants.updateDiningTable(caller, input);
  }

  @Authorized()
  @Mutation(() => Boolean)
  deleteDiningTable(
    @Arg('id', () => ID) id: string,
    @Arg('version', () => Int) version: number,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<boolean> {
    return s.restaurants.deleteDiningTable(caller, id, version);
  }
}
