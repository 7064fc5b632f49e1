import { Arg, Authorized, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { Caller } from '../../services/common/caller.js';
import type { HoldView } from '../../services/venues/holds/hold.service.js';
import { money } from '../../schema/common/money.js';
import { HoldTableInput } from '../../schema/venues/dining.types.js';
import { Hold, HoldBestAvailableInput, HoldSeatsInput } from '../../schema/venues/hold.types.js';
import { HoldTimedEntryInput } from '../../schema/venues/timed-entry.types.js';
import { CurrentUser, Services, type OperationServices } from '../context.js';

/** The hold as GraphQL shows it. */
function toHold(hold: HoldView): Hold {
  return {
    token: hold.token,
    kind: hold.kind,
    offeringId: hold.offeringId,
    expiresAt: hold.expiresAt,
    items: hold.items.map((item) => ({
      id: item.id,
      seatId: item.seatId,
      timeSlotId: item.timeSlotId,
      tableId: item.tableId,
      startsAt: item.startsAt,
      endsAt: item.endsAt,
      quantity: item.quantity,
      price: money(item.priceMinor, hold.currency),
    })),
    total: money(hold.totalMinor, hold.currency),
  };
}

@Resolver(() => Hold)
export class HoldResolver {
  @Authorized()
  @Query(() => Hold, { nullable: true, description: "The caller's own unexpired hold." })
  async hold(
    @Arg('token', () => ID) token: string,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<Hold | null> {
    const hold = await s.holds.get(caller, token);
    return hold && toHold(hold);
  }

  @Authorized()
  @Mutation(() => Hold)
  async holdSeats(
    @Arg('input') input: HoldSeatsInput,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<Hold> {
    return toHold(await s.holds.holdSeats(caller, input));
  }

  @Authorized()
  @Mutation(() => Hold)
  async holdBestAvailable(
    @Arg('input') input: HoldBestAvailableInput,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<Hold> {
    return toHold(await s.holds.holdBestAvailable(caller, input));
  }

  @Authorized()
  @Mutation(() => Hold)
  async holdTimedEntry(
    @Arg('input') input: HoldTimedEntryInput,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<Hold> {
    return toHold(await s.holds.holdTimedEntry(caller, input));
  }

  @Authorized()
  @Mutation(() => Hold)
  async holdTable(
    @Arg('input') input: HoldTableInput,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<Hold> {
    return toHold(await s.holds.holdTable(caller, input));
  }

  @Authorized()
  @Mutation(() => Hold, {
    description: 'Moves expiresAt to now + minutes; a hold never lasts more than 120 minutes from its creation (BAD_USER_INPUT beyond).',
  })
  async extendHold(
    @Arg('token', () => ID) token: string,
    @Arg('minutes', () => Int) minutes: number,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<Hold> {
    return toHold(await s.holds.extend(caller, token, minutes));
  }

  @Authorized()
  @Mutation(() => Hold, {
    nullable: true,
    description: 'Releases the listed items, or the whole hold when itemIds is absent. Returns the hold, or null when nothing is left.',
  })
  async releaseHold(
    @Arg('token', () => ID) token: string,
    @Arg('itemIds', () => [ID], { nullable: true }) itemIds: string[] | null,
    @CurrentUser() caller: Caller,
    @Services() s: OperationServices,
  ): Promise<Hold | null> {
    const hold = await s.holds.release(caller, token, itemIds);
    return hold && toHold(hold);
  }
}
