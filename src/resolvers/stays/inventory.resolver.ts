import { Arg, Authorized, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import { PricingRule } from '../../entities/stays/pricing-rule.entity.js';
import { RoomType } from '../../entities/catalog/room-type.entity.js';
import type { Caller } from '../../services/common/caller.js';
import { CurrentUser, Services, type OperationServices } from '../context.js';
import { InventoryDay, SetInventoryInput, SetPricingRulesInput, SetRatesInput } from '../../schema/stays/inventory.types.js';
import { LocalDateScalar } from '../../schema/common/scalars.js';

@Resolver(() => RoomType)
export class InventoryResolver {
  @FieldResolver(() => [PricingRule], { description: 'Occupancy-based price adjustments, lowest threshold first.' })
  pricingRules(@Root() roomType: RoomType, @Services() s: OperationServices): Promise<PricingRule[]> {
    return s.inventory.pricingRules(roomType);
  }

  @FieldResolver(() => [InventoryDay], { description: 'One entry per night in [from, to). At most 366 nights.' })
  async inventory(
    @Root() roomType: RoomType,
    @Arg('from', () => LocalDateScalar) from: string,
    @Arg('to', () => LocalDateScalar) to: string,
    @Services() s: OperationServices,
  ): Promise<InventoryDay[]> {
    return (await s.inventory.days(roomType, from, to)).map(InventoryDay.from);
  }

  @Authorized()
  @Mutation(() => [InventoryDay])
  async setInventory(
    @Arg('input') input: SetInventoryInput,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<InventoryDay[]> {
    return (await s.inventory.setInventory(caller, input)).map(InventoryDay.from);
  }

  @Authorized()
  @Mutation(() => [InventoryDay])
  async setRates(
    @Arg('input') input: SetRatesInput,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<InventoryDay[]> {
    return (await s.inventory.setRates(caller, input)).map(InventoryDay.from);
  }

  @Authorized()
  @Mutation(() => RoomType)
  setPricingRules(
    @Arg('input') input: SetPricingRulesInput,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<RoomType> {
    return s.inventory.setPricingRules(caller, input);
  }
}
