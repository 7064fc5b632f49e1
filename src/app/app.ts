import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { createAuthenticator } from '../infra/auth.js';
import type { Config } from '../infra/config.js';
import { databaseOptions, migrate, openDatabase, type Orm } from '../infra/database.js';
import { createFormatError } from '../infra/format-error.js';
import { limitsPlugin } from '../infra/limits/apollo-plugin.js';
import { createClientAddress } from '../infra/limits/client-address.js';
import { HeavyGate } from '../infra/limits/heavy-gate.js';
import { createQueryGuard } from '../infra/limits/query-limits.js';
import { callerKey, RateLimits } from '../infra/limits/rate-limits.js';
import { OutageLog } from '../infra/outage.js';
import { createHttpHandler, GRAPHQL_PATH, type ReadinessReport } from '../infra/http-server.js';
import type { Logger } from '../infra/logger.js';
import { createRedis, pingRedis, type Redis } from '../infra/redis.js';
import { buildAppSchema } from './schema.js';
import { AvailabilityBus } from '../services/live/availability-bus.js';
import { OutboxRelay } from '../services/live/outbox-relay.js';
import { RedisEventSource } from '../infra/live/redis-event-source.js';
import { LocalSink, RedisSink } from '../infra/live/sinks.js';
import { attachWebSocketServer } from '../infra/live/ws-server.js';
import { originAllowed } from '../infra/web/cors.js';
import { createWebHandler } from '../infra/web/web-handler.js';
import type { GraphQLContext } from '../resolvers/context.js';
import { operationServices, type ServerDeps } from './context.js';
import { auditStayCache, type StayCacheReport } from './stay-cache-audit.js';
import { ServerEvents } from '../services/live/server-events.js';
import { StayCache, type StayViews } from '../services/stays/stay-cache.js';
import { DEFAULT_BOOKING_SETTINGS, type BookingDeps, type BookingSettings } from '../services/booking/booking.deps.js';
import type { PaymentGateway } from '../services/booking/payments/payment-gateway.js';
import type { Caller } from '../services/common/caller.js';
import { systemClock, type Clock } from '../services/common/clock.js';
import { Sweeper } from '../services/booking/sweeper.js';
import { reservationLedger } from '../services/booking/reservation-ledger.js';
import { bookingLedger } from '../services/venues/bookings/booking-ledger.js';
import { TestPaymentGateway } from '../services/booking/payments/test-payment-gateway.js';
import type { HoldEngine } from '../services/venues/holds/hold-engine.js';
import { MemoryHoldEngine } from '../services/venues/holds/memory-hold-engine.js';
import { HoldReaper } from '../services/venues/holds/reaper.js';
import { RedisHoldEngine } from '../infra/venues/redis-hold-engine.js';
import { ChartCache } from '../services/venues/seating/chart-cache.js';
import { OfferingCache } from '../services/venues/holds/offering-context.js';
import type { VenueDeps } from '../services/venues/venue.deps.js';
import { SeatFeed } from '../services/venues/live/seat-feed.js';

export interface AppOptions {
  config: Config;
  logger: Logger;
  /** An ORM owned by the caller (tests share one); otherwise the app opens and closes its own. */
  orm?: Orm;
  /** Tests: another gateway, tighter saga settings, a clock they move, a crash after a saga step. */
  booking?: {
    gateway?: PaymentGateway;
    settings?: Partial<BookingSettings>;
    clock?: Clock;
    afterStep?: BookingDeps['afterStep'];
  };
  /** Tests: a hold engine of their own (e.g. over a Redis Cluster client they own). */
  venues?: { engine?: HoldEngine };
}

export interface App {
  url: string;
  port: number;
  orm: Orm;
  server: Server;
  sweeper: Sweeper;
  /** Where this server holds seats. */
  holds: HoldEngine;
  /** This server's live seat changes (its subscriber count tells a test when a subscription is in place). */
  seatFeed: SeatFeed;
  /** This server's live fan-out (its subscriber count tells a test when a subscription is in place). */
  bus: AvailabilityBus;
  /** This server's cache of the nights searches read. */
  stayCache: StayCache;
  /** Where heavy operations wait for a place (tests take places to fill it). */
  heavy: HeavyGate;
  /** The cache against the database, once every committed event is applied (also GET /internal/stay-cache). */
  auditStayCache(): Promise<StayCacheReport>;
  /** Stops accepting, lets in-flight requests finish, then closes the pools. Idempotent. */
  stop(): Promise<void>;
}

/** An HTTP operation's context: the resolvers' own, and whose rate budget it spends when anonymous. */
type HttpContext = GraphQLContext & { clientAddress: string };

/** Wires the server together and starts listening. */
export async function startApp({ config, logger, orm: givenOrm, booking, venues }: AppOptions): Promise<App> {
  const orm = givenOrm ?? (await openDatabase(databaseOptions(config), logger));
  if (!givenOrm) {
    const applied = await migrate(orm);
    if (applied.length > 0) logger.info({ migrations: applied }, 'applied migrations');
  }
  const redis = config.redisUrl ? createRedis(config.redisUrl, logger) : undefined;
  if (config.auth.usingDevSecret) {
    logger.warn('JWT_SECRET is not set: using the development default secret (never in production)');
  }

  // The search's cache of nights (stay-cache.ts): with Redis, off until the stream reader
  // has caught up; without, the relay hands this server every event itself.
  const stayCache = new StayCache(config.stayCache, !config.redisUrl);
  // A change this server committed: its searches show it at once, and its events go out
  // now instead of at the relay's next poll.
  const views: StayViews = {
    changedHere: (hotelId, nights) => {
      stayCache.changedHere(hotelId, nights);
      relay.nudge();
    },
  };
  const bookingDeps: BookingDeps = {
    gateway: booking?.gateway ?? new TestPaymentGateway(orm.em),
    settings: {
      ...DEFAULT_BOOKING_SETTINGS,
      holdTtlMs: config.booking.holdTtlMs,
      paymentTimeoutMs: config.booking.paymentTimeoutMs,
      ...booking?.settings,
    },
    logger,
    clock: booking?.clock ?? systemClock,
    afterStep: booking?.afterStep,
    views,
  };
  // Seat holds: in Redis when there is one (every server shares them), else in this process.
  const venueDeps: VenueDeps = {
    engine: venues?.engine ?? (redis ? new RedisHoldEngine(redis) : new MemoryHoldEngine()),
    charts: new ChartCache(),
    offerings: new OfferingCache(),
    clock: bookingDeps.clock,
    logger,
  };
  const reaper = new HoldReaper(venueDeps.engine, venueDeps.clock, logger);
  // One sweeper settles what the saga left behind, for hotel reservations and venue bookings alike.
  const sweeper = new Sweeper(orm.em, bookingDeps, [reservationLedger, bookingLedger(venueDeps)]);
  const seatFeed = new SeatFeed(venueDeps.engine, logger);

  // Live availability: the relay moves committed outbox events to Redis (every server
  // reads them back from the stream) or, without Redis, straight to this server's bus.
  // The search's cache follows the same events.
  const bus = new AvailabilityBus();
  const events = new ServerEvents(bus, stayCache);
  const relay = new OutboxRelay(orm.em, redis ? new RedisSink(redis) : new LocalSink(events), logger, {
    intervalMs: config.relayIntervalMs,
    batchSize: 500,
  });
  const source = config.redisUrl ? new RedisEventSource(config.redisUrl, events, logger) : undefined;
  const deps: ServerDeps = { booking: bookingDeps, feed: bus, venues: venueDeps, seatFeed, stayCache, views };
  // One ORM context per operation, HTTP and WebSocket alike.
  const contextFor = (caller: Caller): GraphQLContext => ({
    caller,
    services: operationServices(orm.em, deps),
  });

  const authenticate = createAuthenticator(config.auth, logger);
  const server = createServer();
  server.keepAliveTimeout = 65_000;
  const schema = await buildAppSchema();
  const outages = new OutageLog(logger);
  const formatError = createFormatError(logger, outages);
  // Limits and rate budgets (README, "Limits and security"): one guard and one set of
  // budgets for HTTP and WebSocket alike.
  const guard = createQueryGuard(config.queryLimits, { introspection: config.introspection });
  const rateLimits = new RateLimits(config.rateLimits, redis, logger);
  const { heavyConcurrency, heavyWaiting } = config.queryLimits;
  const heavy = new HeavyGate(heavyConcurrency, heavyWaiting);
  const clientAddress = createClientAddress(config.trustedProxies);
  const apollo = new ApolloServer<HttpContext>({
    schema,
    formatError,
    includeStacktraceInErrorResponses: false,
    // INTROSPECTION=false is enforced by the guard's rule, shared with WebSocket (Apollo's
    // own would add a second error for the same field).
    introspection: true,
    parseOptions: guard.parseOptions,
    validationRules: [...guard.validationRules],
    logger,
    // main.ts owns SIGTERM: Apollo's own handler would re-raise the signal and skip our exit code.
    stopOnTerminationSignals: false,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: server, stopGracePeriodMillis: 10_000 }),
      // No field sets cache hints, and the default plugin visits every field of every
      // answer: it doubled the time of a 100,000-seat map (530-690 ms -> 260-280 ms without).
      ApolloServerPluginCacheControlDisabled(),
      // Apollo's landing page loads its IDE from a CDN: ours (GRAPHQL_IDE) is served by the web handler.
      ApolloServerPluginLandingPageDisabled(),
      limitsPlugin<HttpContext>(guard, rateLimits, heavy, (context) => callerKey(context.caller, context.clientAddress)),
    ],
  });
  await apollo.start();

  let stopping: Promise<void> | undefined;
  const readiness = async (): Promise<ReadinessReport> => {
    if (stopping) return { ready: false, checks: { server: 'stopping' } };
    const checks: ReadinessReport['checks'] = { database: (await databaseUp(orm)) ? 'up' : 'down' };
    if (redis) checks.redis = (await pingRedis(redis)) ? 'up' : 'down';
    return { ready: Object.values(checks).every((state) => state === 'up'), checks };
  };

  server.on(
    'request',
    createHttpHandler({
      apollo,
      logger,
      readiness,
      context: async (req) => ({
        ...contextFor(await authenticate(req.headers.authorization)),
        clientAddress: clientAddress(req),
      }),
      web: createWebHandler({ corsOrigins: config.corsOrigins, ide: config.graphqlIde }),
      internal: {
        '/internal/stay-cache': async (req) => {
          const caller = await authenticate(req.headers.authorization);
          if (caller.principal?.role !== 'admin') return { status: 403, body: { error: 'an admin token is required' } };
          return { status: 200, body: await auditStayCache({ em: orm.em.fork(), cache: stayCache, redis, source }) };
        },
      },
    }),
  );
  const sockets = attachWebSocketServer<GraphQLContext>({
    server,
    schema,
    authenticate,
    logger,
    formatError,
    guard,
    rateLimits,
    heavy,
    clientAddress,
    context: contextFor,
    verifyOrigin: (origin) => originAllowed(config.corsOrigins, origin),
    callerOf: ({ caller }) => (caller.principal ? `sub:${caller.principal.sub}` : 'anonymous'),
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  relay.start();
  source?.start();
  if (config.booking.sweepIntervalMs > 0) sweeper.start(config.booking.sweepIntervalMs);
  if (config.holdReapIntervalMs > 0) reaper.start(config.holdReapIntervalMs);

  const stop = async () => {
    logger.info('shutting down: draining requests and sockets');
    bus.close();
    await seatFeed.close();
    await Promise.all([sockets.close(), apollo.stop()]);
    await Promise.all([sweeper.stop(), reaper.stop(), relay.stop(), source?.stop()]);
    if (!venues?.engine) await venueDeps.engine.close();
    await closeRedis(redis);
    if (!givenOrm) await orm.close();
    outages.close();
    logger.info('shutdown complete');
  };

  return {
    url: `http://localhost:${port}${GRAPHQL_PATH}`,
    port,
    orm,
    server,
    sweeper,
    holds: venueDeps.engine,
    seatFeed,
    bus,
    stayCache,
    heavy,
    auditStayCache: () => auditStayCache({ em: orm.em.fork(), cache: stayCache, redis, source }),
    stop: () => (stopping ??= stop()),
  };
}

async function databaseUp(orm: Orm): Promise<boolean> {
  try {
    await orm.em.getConnection().execute('select 1');
    return true;
  } catch {
    return false;
  }
}

async function closeRedis(redis: Redis | undefined): Promise<void> {
  if (!redis) return;
  // quit() lets pending replies arrive; disconnect() also cancels a pending reconnect.
  await redis.quit().catch(() => undefined);
  redis.disconnect();
}
