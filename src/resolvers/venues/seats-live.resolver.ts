import { Arg, ID, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import type { SeatChangeEvent } from '../../services/venues/holds/hold-engine.js';
import type { PerformanceContext } from '../../services/venues/holds/performance-context.js';
import { sectionAvailability } from '../../services/venues/seat-map.service.js';
import { SeatsChange } from '../../schema/venues/seats-change.types.js';
import { SectionAvailability } from '../../schema/venues/venue.types.js';
import type { GraphQLContext } from '../context.js';

interface SeatsArgs {
  performanceId: string;
  sectionKeys?: string[] | null;
}

/** A seat change with the performance it belongs to, so the sections can be described. */
interface SeatsPayload {
  context: PerformanceContext;
  event: SeatChangeEvent;
}

async function* withContext(context: PerformanceContext, events: AsyncIterableIterator<SeatChangeEvent>) {
  try {
    for await (const event of events) yield { context, event } satisfies SeatsPayload;
  } finally {
    await events.return?.();
  }
}

@Resolver()
export class SeatsLiveResolver {
  @Subscription(() => SeatsChange, {
    description:
      'Every committed change of seat status of the performance (optionally of some sections): holds, releases, expiries, sales, blocks.',
    subscribe: async ({ args, context }: SubscribeResolverData<unknown, SeatsArgs, GraphQLContext>) => {
      const { context: performance, events } = await context.services.seatsLive.seats(args.performanceId, args.sectionKeys ?? null);
      return withContext(performance, events);
    },
  })
  seatsChanged(
    @Root() { context, event }: SeatsPayload,
    @Arg('performanceId', () => ID) _performanceId: string,
    @Arg('sectionKeys', () => [String], { nullable: true }) _sectionKeys: string[] | null,
  ): SeatsChange {
    const { performance, chart, currency } = context;
    const sections = chart.sections
      .filter((section) => event.sections[section.key])
      .map((section) =>
        SectionAvailability.from(
          sectionAvailability(section, event.sections[section.key], performance.prices[section.category], currency),
        ),
      );
    return { eventId: event.eventId, performanceId: event.performanceId, seats: event.seats, sections, at: new Date(event.at) };
  }
}
