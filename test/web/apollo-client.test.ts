import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApolloClient, ApolloLink, CombinedGraphQLErrors, HttpLink, InMemoryCache, gql, type TypedDocumentNode } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { OperationTypeNode } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { Orm } from '../../src/infra/database.js';
import { addDays } from '../../src/services/common/dates.js';
import { reserveInput, stockedRoomType, type StockedRoomType } from '../helpers/booking.js';
import { until } from '../helpers/live.js';
import { isolatedDatabase, openTestDatabase, startTestServer, testConfig, type TestServer } from '../helpers/server.js';

/**
 * The client most frontends use, end to end: Apollo Client with HttpLink behind the
 * persisted-queries link (queries and mutations) and GraphQLWsLink (subscriptions).
 */

const SEARCH: TypedDocumentNode<Record<string, any>> = gql`
  query Search($hotelId: ID!, $checkIn: LocalDate!, $checkOut: LocalDate!) {
    searchAvailability(hotelId: $hotelId, checkIn: $checkIn, checkOut: $checkOut, rooms: 1) {
      roomType { id name }
      available
      nights { date price { amount currency } }
      total { amount currency }
    }
  }
`;
const RESERVE: TypedDocumentNode<Record<string, any>> = gql`
  mutation Reserve($input: ReserveInput!) {
    reserve(input: $input) { id status checkIn checkOut total { amount currency } }
  }
`;
const AVAILABILITY: TypedDocumentNode<Record<string, any>> = gql`
  subscription Availability($hotelId: ID!, $from: LocalDate, $to: LocalDate) {
    availabilityChanged(hotelId: $hotelId, from: $from, to: $to) {
      eventId roomTypeId days { date reserved available }
    }
  }
`;

interface Exchange {
  request: { query?: string; extensions?: { persistedQuery?: { sha256Hash: string } } };
  response: { data?: unknown; errors?: { extensions?: { code?: string } }[] };
}

let main: Orm;
let database: Awaited<ReturnType<typeof isolatedDatabase>>;
let server: TestServer;
let stock: StockedRoomType;
let wsClient: Client;
let apollo: ApolloClient;
/** What went over HTTP, request and answer, in order. */
const exchanges: Exchange[] = [];

beforeAll(async () => {
  // A database of our own: without Redis, only this server's relay may publish what our subscription waits for.
  main = await openTestDatabase(testConfig(), 2);
  database = await isolatedDatabase(main);
  server = await startTestServer({ booking: { holdTtlMs: 60_000, paymentTimeoutMs: 2_000, sweepIntervalMs: 0 } }, { orm: database.orm });
  const admin = await server.token({ sub: 'admin-apollo', role: 'admin' });
  stock = await stockedRoomType(server.client, admin, { total: 3, rate: '120.00', nights: 7 });
  const authorization = `Bearer ${await server.token({ sub: 'guest-apollo', role: 'guest' })}`;

  const recordingFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    exchanges.push({ request: JSON.parse(String(init?.body)), response: (await response.clone().json()) as Exchange['response'] });
    return response;
  };
  const http = ApolloLink.from([
    new PersistedQueryLink({ sha256: (query: string) => createHash('sha256').update(query).digest('hex') }),
    new HttpLink({ uri: server.app.url, fetch: recordingFetch, headers: { authorization } }),
  ]);
  wsClient = createClient({
    url: server.app.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization },
    retryAttempts: 0,
  });
  const isSubscription = (operation: ApolloLink.Operation) => operation.operationType === OperationTypeNode.SUBSCRIPTION;
  apollo = new ApolloClient({
    link: ApolloLink.split(isSubscription, new GraphQLWsLink(wsClient), http),
    cache: new InMemoryCache(),
  });
});

afterAll(async () => {
  apollo?.stop();
  await wsClient?.dispose();
  await server?.app.stop();
  await database?.orm.close();
  await database?.drop();
  await main?.close();
});

describe('Apollo Client end to end', () => {
  it('runs a query through the persisted-query round trip: hash unknown, full query, then hash known', async () => {
    const variables = { hotelId: stock.hotel.id, checkIn: stock.from, checkOut: addDays(stock.from, 2) };
    const first = await apollo.query({ query: SEARCH, variables, fetchPolicy: 'network-only' });
    expect(first.data?.searchAvailability).toEqual([
      expect.objectContaining({ roomType: expect.objectContaining({ id: stock.roomType.id }), available: 3, total: { __typename: 'Money', amount: '240.00', currency: 'EUR' } }),
    ]);

    const [hashOnly, withQuery] = exchanges;
    const hash = hashOnly.request.extensions?.persistedQuery?.sha256Hash;
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hashOnly.request.query).toBeUndefined();
    // The code Apollo Client (and every APQ client) recognizes, not a remapped one.
    expect(hashOnly.response.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(withQuery.request.query).toContain('searchAvailability');
    expect(withQuery.request.extensions?.persistedQuery?.sha256Hash).toBe(hash);
    expect(createHash('sha256').update(withQuery.request.query!).digest('hex')).toBe(hash);

    await apollo.query({ query: SEARCH, variables, fetchPolicy: 'network-only' });
    const known = exchanges[2];
    expect(known.request.query).toBeUndefined();
    expect(known.request.extensions?.persistedQuery?.sha256Hash).toBe(hash);
    expect(known.response.errors).toBeUndefined();
    expect(known.response.data).toBeDefined();
    expect(exchanges).toHaveLength(3);
  });

  it('reserves with an idempotency key and receives the availability change over the subscription', async () => {
    const checkIn = addDays(stock.from, 1);
    const checkOut = addDays(stock.from, 3);
    const changes: { roomTypeId: string; days: { date: string; reserved: number; available: number }[] }[] = [];
    const errors: unknown[] = [];
    const before = server.app.bus.subscriberCount;
    const subscription = apollo
      .subscribe({ query: AVAILABILITY, variables: { hotelId: stock.hotel.id, from: stock.from, to: stock.to } })
      .subscribe({
        next: (result) => {
          if (result.error) errors.push(result.error);
          if (result.data) changes.push(result.data.availabilityChanged);
        },
        error: (error) => errors.push(error),
      });
    try {
      await until(() => server.app.bus.subscriberCount > before || errors.length > 0, 5_000, 'the subscription on the server');
      expect(errors).toEqual([]);

      const input = reserveInput(stock.roomType.id, checkIn, checkOut);
      const { data } = await apollo.mutate({ mutation: RESERVE, variables: { input } });
      expect(data?.reserve).toMatchObject({ status: 'CONFIRMED', checkIn, checkOut, total: { amount: '240.00', currency: 'EUR' } });
      // The same key and input again: the same reservation, not a second one.
      const again = await apollo.mutate({ mutation: RESERVE, variables: { input } });
      expect(again.data?.reserve.id).toBe(data?.reserve.id);

      const booked = (change: (typeof changes)[number]) =>
        change.roomTypeId === stock.roomType.id &&
        change.days.some((day) => day.date === checkIn && day.reserved === 1 && day.available === 2);
      await until(() => changes.some(booked) || errors.length > 0, 5_000, 'the availability change');
      expect(errors).toEqual([]);
      const change = changes.find(booked)!;
      expect(change.days.map((day) => [day.date, day.reserved, day.available])).toEqual([
        [checkIn, 1, 2],
        [addDays(checkIn, 1), 1, 2],
      ]);
    } finally {
      subscription.unsubscribe();
    }
  });

  it('hands the error code to the app', async () => {
    const input = reserveInput(stock.roomType.id, stock.from, addDays(stock.from, 1));
    await apollo.mutate({ mutation: RESERVE, variables: { input } });
    const reused = await apollo.mutate({ mutation: RESERVE, variables: { input: { ...input, rooms: 2 } } }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(CombinedGraphQLErrors.is(reused)).toBe(true);
    expect((reused as CombinedGraphQLErrors).errors[0].extensions?.code).toBe('IDEMPOTENCY_KEY_REUSED');

    const declined = await apollo.mutate({
      mutation: RESERVE,
      variables: { input: reserveInput(stock.roomType.id, stock.from, addDays(stock.from, 1), { paymentToken: 'tok_declined' }) },
      errorPolicy: 'all',
    });
    expect(declined.data?.reserve ?? null).toBeNull();
    expect(CombinedGraphQLErrors.is(declined.error)).toBe(true);
    expect((declined.error as CombinedGraphQLErrors).errors[0].extensions?.code).toBe('PAYMENT_DECLINED');
  });
});
