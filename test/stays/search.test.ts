import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addDays, todayIn } from '../../src/services/common/dates.js';
import { daysFromNow, invariantViolations, reserveInput, reserveOk, SEARCH, stockedRoomType } from '../helpers/booking.js';
import { createHotel, createRoomType } from '../helpers/catalog.js';
import { errorCode } from '../helpers/graphql.js';
import { setInventory, setPricingRules, setRates, type MoneyData } from '../helpers/inventory.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let admin: string;
let guest: string;

beforeAll(async () => {
  server = await startTestServer();
  admin = await server.token({ sub: 'admin-search', role: 'admin' });
  guest = await server.token({ sub: 'guest-search', role: 'guest' });
});

afterAll(() => server.stop());

interface OfferData {
  roomType: { id: string };
  available: number;
  nights: { date: string; price: MoneyData }[];
  total: MoneyData;
}

async function search(hotelId: string, checkIn: string, checkOut: string, rooms?: number): Promise<OfferData[]> {
  const data = await server.client.ok<{ searchAvailability: OfferData[] }>(SEARCH, { hotelId, checkIn, checkOut, rooms });
  return data.searchAvailability;
}

const eur = (amount: string) => ({ amount, currency: 'EUR' });

describe('searchAvailability: which room types are offered', () => {
  it('offers only room types that can take every night of the stay for the requested rooms', async () => {
    const hotel = await createHotel(server.client, admin);
    const from = daysFromNow(1);
    const [stay0, stay3, stay5] = [from, addDays(from, 3), addDays(from, 5)];
    const types: Record<string, string> = {};
    for (const name of ['full', 'gapInInventory', 'gapInRates', 'tightNight', 'unstocked']) {
      types[name] = (await createRoomType(server.client, admin, hotel.id, { name })).id;
    }
    // full: 10 rooms (11 to sell) and a rate on every night of [from, from + 5)
    await setInventory(server.client, admin, types.full, stay0, stay5, 10);
    await setRates(server.client, admin, types.full, stay0, stay5, '100.00');
    // gapInInventory: no inventory on the second night
    await setInventory(server.client, admin, types.gapInInventory, stay0, addDays(from, 1), 10);
    await setInventory(server.client, admin, types.gapInInventory, addDays(from, 2), stay5, 10);
    await setRates(server.client, admin, types.gapInInventory, stay0, stay5, '100.00');
    // gapInRates: no rate on the third night
    await setInventory(server.client, admin, types.gapInRates, stay0, stay5, 10);
    await setRates(server.client, admin, types.gapInRates, stay0, addDays(from, 2), '100.00');
    await setRates(server.client, admin, types.gapInRates, stay3, stay5, '100.00');
    // tightNight: 3 rooms (3 to sell), 2 of them sold on the second night
    await setInventory(server.client, admin, types.tightNight, stay0, stay5, 3);
    await setRates(server.client, admin, types.tightNight, stay0, stay5, '100.00');
    await reserveOk(server.client, guest, reserveInput(types.tightNight, addDays(from, 1), addDays(from, 2), { rooms: 2 }));
    // unstocked: nothing at all

    const offered = async (checkIn: string, checkOut: string, rooms: number) =>
      (await search(hotel.id, checkIn, checkOut, rooms)).map((offer) => [offer.roomType.id, offer.available]).sort();

    expect(await offered(stay0, stay3, 2)).toEqual([[types.full, 11]]);
    expect(await offered(stay0, stay3, 1)).toEqual([[types.full, 11], [types.tightNight, 1]].sort());
    // Stays that avoid the gaps and the tight night find them all.
    expect(await offered(stay3, stay5, 3)).toEqual(
      [types.full, types.gapInInventory, types.gapInRates, types.tightNight].map((id) => [id, id === types.tightNight ? 3 : 11]).sort(),
    );
    expect(await offered(stay3, addDays(from, 6), 1)).toEqual([]);
  });

  it("prices each night at its current rate: available is the least over the stay, total the sum of rates times rooms", async () => {
    const { hotel, roomType, from } = await stockedRoomType(server.client, admin, { total: 10, nights: 3, rate: '100.00' });
    await setRates(server.client, admin, roomType.id, addDays(from, 1), addDays(from, 2), '120.50');
    await setRates(server.client, admin, roomType.id, addDays(from, 2), addDays(from, 3), '99.99');
    await setPricingRules(server.client, admin, roomType.id, 1, [{ minOccupancyPercent: 30, adjustmentPercent: 10 }]);
    await reserveOk(server.client, guest, reserveInput(roomType.id, addDays(from, 2), addDays(from, 3), { rooms: 3 }));

    const [offer] = await search(hotel.id, from, addDays(from, 3), 2);
    expect(offer).toEqual({
      roomType: { id: roomType.id },
      available: 8,
      nights: [
        { date: from, price: eur('100.00') },
        { date: addDays(from, 1), price: eur('120.50') },
        { date: addDays(from, 2), price: eur('109.99') }, // 99.99 + 10% = 109.989
      ],
      total: eur('660.98'), // (100.00 + 120.50 + 109.99) x 2
    });
    // rooms defaults to 1
    const [single] = (await server.client.ok(SEARCH, { hotelId: hotel.id, checkIn: from, checkOut: addDays(from, 3) })).searchAvailability;
    expect(single.total).toEqual(eur('330.49'));
  });

  it('answers each offer with the room type as stored, its hotel and rooms resolvable', async () => {
    const { hotel, roomType } = await stockedRoomType(server.client, admin, { total: 4, nights: 2 });
    const data = await server.client.ok<{ searchAvailability: { roomType: Record<string, unknown> }[] }>(
      `query($hotelId: ID!, $checkIn: LocalDate!, $checkOut: LocalDate!) {
        searchAvailability(hotelId: $hotelId, checkIn: $checkIn, checkOut: $checkOut) {
          roomType { id name description maxOccupancy version hotel { id } rooms { id } }
        }
      }`,
      { hotelId: hotel.id, checkIn: daysFromNow(1), checkOut: daysFromNow(2) },
    );
    expect(data.searchAvailability.map((offer) => offer.roomType)).toEqual([
      {
        id: roomType.id,
        name: roomType.name,
        description: roomType.description ?? null,
        maxOccupancy: roomType.maxOccupancy,
        version: roomType.version,
        hotel: { id: hotel.id },
        rooms: [],
      },
    ]);
  });

  it('reflects a reserve at once', async () => {
    const { hotel, roomType, from } = await stockedRoomType(server.client, admin, { total: 4, nights: 3 });
    const stay = [from, addDays(from, 3)] as const;
    expect((await search(hotel.id, ...stay, 2)).map((o) => o.available)).toEqual([4]);

    await reserveOk(server.client, guest, reserveInput(roomType.id, addDays(from, 1), addDays(from, 2), { rooms: 3 }));
    expect((await search(hotel.id, ...stay, 1)).map((o) => o.available)).toEqual([1]);
    expect(await search(hotel.id, ...stay, 2)).toEqual([]);
    expect((await search(hotel.id, addDays(from, 2), addDays(from, 3), 2)).map((o) => o.available)).toEqual([4]);
  });
});

describe('searchAvailability: what it refuses', () => {
  it('refuses bad stays and room counts with BAD_USER_INPUT', async () => {
    const { hotel, from } = await stockedRoomType(server.client, admin, { nights: 31 });
    const cases: [string, string, number][] = [
      [from, from, 1],
      [addDays(from, 2), from, 1],
      [from, addDays(from, 31), 1],
      [from, addDays(from, 2), 0],
      [from, addDays(from, 2), 21],
      [from, addDays(from, 2), -1],
      ['2026-02-30', addDays(from, 2), 1],
      [from, '2026-1-1', 1],
      ['not a date', addDays(from, 2), 1],
    ];
    for (const [checkIn, checkOut, rooms] of cases) {
      const result = await server.client.request(SEARCH, { hotelId: hotel.id, checkIn, checkOut, rooms });
      expect([checkIn, checkOut, rooms, errorCode(result)]).toEqual([checkIn, checkOut, rooms, 'BAD_USER_INPUT']);
    }
    // The edges are fine: 30 nights, 20 rooms.
    expect(await search(hotel.id, from, addDays(from, 30), 1)).toHaveLength(1);
    expect(await search(hotel.id, from, addDays(from, 2), 20)).toEqual([]);
  });

  it('answers NOT_FOUND for an unknown hotel', async () => {
    for (const hotelId of ['0190a000-0000-7000-8000-000000000000', 'not-an-id']) {
      const result = await server.client.request(SEARCH, { hotelId, checkIn: daysFromNow(1), checkOut: daysFromNow(2) });
      expect(errorCode(result)).toBe('NOT_FOUND');
    }
  });

  it.each(['Pacific/Kiritimati', 'Pacific/Pago_Pago'])(
    "in %s, takes today and refuses yesterday, both in the hotel's own time zone",
    async (timezone) => {
      const { hotel, roomType } = await stockedRoomType(server.client, admin, { startInDays: -1, nights: 4, hotel: { timezone } });
      const today = todayIn(timezone);
      expect((await search(hotel.id, today, addDays(today, 1))).map((o) => o.roomType.id)).toEqual([roomType.id]);
      const past = await server.client.request(SEARCH, { hotelId: hotel.id, checkIn: addDays(today, -1), checkOut: addDays(today, 1) });
      expect(errorCode(past)).toBe('BAD_USER_INPUT');
    },
  );

  it('so the same date may be today for one hotel and already past for another', async () => {
    // Kiritimati (UTC+14) is always at least a day ahead of Pago Pago (UTC-11).
    const east = await stockedRoomType(server.client, admin, { startInDays: -2, nights: 6, hotel: { timezone: 'Pacific/Kiritimati' } });
    const west = await stockedRoomType(server.client, admin, { startInDays: -2, nights: 6, hotel: { timezone: 'Pacific/Pago_Pago' } });
    const todayInPagoPago = todayIn('Pacific/Pago_Pago');
    const stay = [todayInPagoPago, addDays(todayInPagoPago, 1)] as const;
    expect(await search(west.hotel.id, ...stay)).toHaveLength(1);
    const refused = await server.client.request(SEARCH, { hotelId: east.hotel.id, checkIn: stay[0], checkOut: stay[1] });
    expect(errorCode(refused)).toBe('BAD_USER_INPUT');
  });
});

describe('searchAvailability and reserve agree', () => {
  it('reserve charges exactly the searched total when nothing changed in between', async () => {
    const { hotel, roomType, from } = await stockedRoomType(server.client, admin, { total: 10, nights: 3, rate: '100.00' });
    const checkOut = addDays(from, 3);
    await setRates(server.client, admin, roomType.id, addDays(from, 1), addDays(from, 2), '110.00');
    await setRates(server.client, admin, roomType.id, addDays(from, 2), checkOut, '99.99');
    await setPricingRules(server.client, admin, roomType.id, 1, [
      { minOccupancyPercent: 20, adjustmentPercent: 10 },
      { minOccupancyPercent: 50, adjustmentPercent: 25 },
    ]);
    await reserveOk(server.client, guest, reserveInput(roomType.id, addDays(from, 1), addDays(from, 2), { rooms: 5 }));

    const expectations = [
      // nightly prices then the total for 2 rooms
      [['100.00', '137.50', '99.99'], '674.98'], // occupancy 0%, 50%, 0%
      [['110.00', '137.50', '109.99'], '714.98'], // 20%, 70%, 20% after the first reserve
    ] as const;
    for (const [prices, total] of expectations) {
      const [offer] = await search(hotel.id, from, checkOut, 2);
      expect([offer.nights.map((n) => n.price.amount), offer.total]).toEqual([prices, eur(total)]);
      const reservation = await reserveOk(server.client, guest, reserveInput(roomType.id, from, checkOut, { rooms: 2 }));
      expect(reservation.total).toEqual(offer.total);
    }
    expect(await invariantViolations(server.orm, [hotel.id])).toEqual([]);
  });
});
