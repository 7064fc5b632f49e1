// /live: a hotel's nights (?hotel=<id>&from=&to=) and a performance's seats
// (?performance=<id>), kept current by the same subscriptions any client uses
// (availabilityChanged, seatsChanged) over graphql-ws. Plain browser JavaScript, no
// build step. Changes carry the new absolute values and arrive in commit order, so
// applying them over a snapshot converges; after a reconnect the snapshot is read
// again, since events may have been missed while the socket was down.
/* global graphqlWs */

const GRAPHQL_URL = new URL('/graphql', window.location.href).href;
const WS_URL = GRAPHQL_URL.replace(/^http/, 'ws');
/** Larger charts show their section counts only: one element per seat gets slow past this. */
const SEAT_CELL_LIMIT = 20_000;
const MAX_NIGHTS = 93;
const DEFAULT_NIGHTS = 14;

const $ = (id) => document.getElementById(id);
const el = (tag, attributes = {}, text) => {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
};

// --- what to show -------------------------------------------------------------------

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const isDate = (value) => typeof value === 'string' && DATE.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));
const addDays = (date, days) => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
const daysBetween = (a, b) => Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);

const params = new URLSearchParams(window.location.search);
const hotelId = params.get('hotel')?.trim() || null;
const performanceId = params.get('performance')?.trim() || null;
const from = isDate(params.get('from')) ? params.get('from') : new Date().toISOString().slice(0, 10);
let to = isDate(params.get('to')) ? params.get('to') : addDays(from, DEFAULT_NIGHTS);
if (daysBetween(from, to) < 1) to = addDays(from, 1);
if (daysBetween(from, to) > MAX_NIGHTS) to = addDays(from, MAX_NIGHTS);

const form = $('pick');
form.elements.hotel.value = hotelId ?? '';
form.elements.performance.value = performanceId ?? '';
form.elements.from.value = from;
form.elements.to.value = to;

const messages = new Map();
function say(key, text) {
  if (text) messages.set(key, text);
  else messages.delete(key);
  $('message').textContent = [...messages.values()].join(' ');
}
const describe = (error) =>
  Array.isArray(error)
    ? error.map((e) => `${e.message}${e.extensions?.code ? ` (${e.extensions.code})` : ''}`).join('; ')
    : error instanceof Error
      ? error.message
      : String(error?.reason || error?.code || error);

// --- the API --------------------------------------------------------------------------

class GraphQLFailure extends Error {
  constructor(errors) {
    super(describe(errors));
    this.errors = errors;
  }
}

async function query(document, variables) {
  const response = await fetch(GRAPHQL_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: document, variables }),
  });
  const body = await response.json();
  if (body.errors?.length) throw new GraphQLFailure(body.errors);
  return body.data;
}

function setConnection(state, text) {
  const badge = $('connection');
  badge.dataset.state = state;
  badge.textContent = text;
}

const views = [];
const client =
  hotelId || performanceId
    ? graphqlWs.createClient({
        url: WS_URL,
        lazy: false,
        keepAlive: 10_000,
        // Never give up: a restarting server, a network change, a laptop waking up.
        retryAttempts: Infinity,
        shouldRetry: () => true,
        retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** retries, 4_000))),
        on: {
          connecting: (isRetry) => setConnection(isRetry ? 'reconnecting' : 'connecting', isRetry ? 'reconnecting…' : 'connecting…'),
          connected: (_socket, _payload, wasRetry) => {
            setConnection('connected', 'live');
            if (wasRetry) for (const view of views) view.reload();
          },
          closed: () => setConnection('reconnecting', 'disconnected: reconnecting…'),
        },
        onNonLazyError: (error) => setConnection('closed', `closed: ${describe(error)}`),
      })
    : undefined;
if (!client) {
  setConnection('idle', 'not connected');
  say('help', 'Give a hotel id (and nights) or a performance id above.');
}

/**
 * One live view: subscribes first, then reads the snapshot; changes that arrive while
 * a snapshot is read wait and are applied over it. Duplicates (at-least-once
 * delivery) are dropped by eventId.
 */
function liveView({ key, subscription, variables, load, apply }) {
  const seen = new Set();
  let pending = [];
  let running;
  let again = false;

  // A server that shuts down ends its streams (complete) before it closes the socket:
  // subscribe again, with a growing pause while that keeps happening, and read the
  // snapshot again since changes may have been missed in between.
  let restarts = 0;
  const start = () => {
    const startedAt = Date.now();
    client.subscribe(
      { query: subscription, variables },
      {
        next: (result) => {
          if (result.errors?.length) {
            say(key, describe(result.errors));
            return;
          }
          const change = Object.values(result.data ?? {})[0];
          if (!change || seen.has(change.eventId)) return;
          seen.add(change.eventId);
          if (seen.size > 10_000) seen.delete(seen.values().next().value);
          if (pending) pending.push(change);
          else apply(change);
          $('updated').textContent = `last change ${new Date().toLocaleTimeString()}`;
        },
        // The operation was refused (an unknown id, bad dates): trying again would not help.
        error: (error) => say(key, describe(error)),
        complete: () => {
          restarts = Date.now() - startedAt > 10_000 ? 0 : restarts + 1;
          setTimeout(() => {
            start();
            void reload();
          }, Math.min(250 * 2 ** restarts, 4_000));
        },
      },
    );
  };
  start();

  const reload = () => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        pending ??= [];
        try {
          await load();
          say(key, '');
        } catch (error) {
          say(key, describe(error.errors ?? error));
        }
      } while (again);
      const queued = pending;
      pending = null;
      for (const change of queued) apply(change);
    })().finally(() => {
      running = undefined;
    });
    return running;
  };
  const view = { reload };
  views.push(view);
  void reload();
  return view;
}

function flash(node) {
  node.classList.remove('changed');
  void node.offsetWidth; // restart the animation
  node.classList.add('changed');
}

// --- a hotel's nights -----------------------------------------------------------------

const HOTEL = `query LiveHotel($id: ID!, $from: LocalDate!, $to: LocalDate!) {
  hotel(id: $id) {
    id name city currency
    roomTypes { id name inventory(from: $from, to: $to) { date total reserved sellLimit available rate { amount currency } } }
  }
}`;
const AVAILABILITY = `subscription LiveAvailability($id: ID!, $from: LocalDate, $to: LocalDate) {
  availabilityChanged(hotelId: $id, from: $from, to: $to) {
    eventId roomTypeId days { date total reserved sellLimit available rate { amount currency } }
  }
}`;

function nightLevel(day) {
  if (!day.rate || day.sellLimit === 0) return 'closed';
  if (day.available === 0) return 'none';
  return day.available <= Math.max(1, Math.ceil(day.sellLimit * 0.2)) ? 'low' : 'plenty';
}

function fillNight(cell, day) {
  const level = nightLevel(day);
  cell.dataset.level = level;
  cell.dataset.available = String(day.available);
  cell.replaceChildren(
    el('span', { class: 'available' }, level === 'closed' && day.sellLimit === 0 ? '–' : String(day.available)),
    el('span', { class: 'rate' }, day.rate ? day.rate.amount : ''),
  );
  cell.title = `${day.date}: ${day.available} of ${day.sellLimit} left (${day.reserved} reserved of ${day.total})${
    day.rate ? `, ${day.rate.amount} ${day.rate.currency}` : ', no rate'
  }`;
}

function hotelView(id) {
  const cells = new Map();
  const known = new Set();
  const dates = Array.from({ length: daysBetween(from, to) }, (_, i) => addDays(from, i));
  let view;

  async function load() {
    const { hotel } = await query(HOTEL, { id, from, to });
    if (!hotel) throw new Error(`No hotel with id ${id}.`);
    $('hotel').hidden = false;
    $('hotel-name').textContent = `${hotel.name}, ${hotel.city} · ${from} to ${to} · rates in ${hotel.currency}`;
    const head = el('tr', {}, undefined);
    head.append(el('th', {}, 'Room type'));
    for (const date of dates) {
      const weekday = new Date(`${date}T00:00:00Z`).toLocaleDateString('en', { weekday: 'short', timeZone: 'UTC' });
      head.append(el('th', { 'data-date': date }, `${weekday} ${date.slice(5)}`));
    }
    const body = el('tbody');
    cells.clear();
    known.clear();
    for (const roomType of [...hotel.roomTypes].sort((a, b) => a.name.localeCompare(b.name))) {
      known.add(roomType.id);
      const row = el('tr', { 'data-room-type': roomType.id });
      row.append(el('th', {}, roomType.name));
      const byDate = new Map(roomType.inventory.map((day) => [day.date, day]));
      for (const date of dates) {
        const cell = el('td', { class: 'night', 'data-room-type': roomType.id, 'data-date': date });
        fillNight(cell, byDate.get(date) ?? { date, total: 0, reserved: 0, sellLimit: 0, available: 0, rate: null });
        cells.set(`${roomType.id}|${date}`, cell);
        row.append(cell);
      }
      body.append(row);
    }
    const thead = el('thead');
    thead.append(head);
    $('nights').replaceChildren(thead, body);
  }

  function apply(change) {
    // A room type created after the snapshot: read it again.
    if (!known.has(change.roomTypeId)) {
      void view.reload();
      return;
    }
    for (const day of change.days) {
      const cell = cells.get(`${change.roomTypeId}|${day.date}`);
      if (!cell) continue;
      fillNight(cell, day);
      flash(cell);
    }
  }

  view = liveView({ key: 'hotel', subscription: AVAILABILITY, variables: { id, from, to }, load, apply });
}

// --- a performance's seats ------------------------------------------------------------

const PERFORMANCE = `query LivePerformance($id: ID!) {
  performance(id: $id) {
    id title startsAt status available venue { name }
    seatingChart { name seatCount }
    sections { key name category capacity available held sold blocked }
  }
}`;
const SEAT_MAP = `query LiveSeatMap($id: ID!) {
  performance(id: $id) {
    seatingChart { sections { key name rows { label seats { id number } } } }
    seats { seatId status }
  }
}`;
const SEATS = `subscription LiveSeats($id: ID!) {
  seatsChanged(performanceId: $id) {
    eventId seats { seatId status } sections { key capacity available held sold blocked }
  }
}`;
const COUNTS = ['capacity', 'available', 'held', 'sold', 'blocked'];

function performanceView(id) {
  const seats = new Map();
  const sectionRows = new Map();

  function fillSection(section) {
    const row = sectionRows.get(section.key);
    if (!row) return;
    for (const count of COUNTS) {
      const cell = row.querySelector(`[data-count="${count}"]`);
      if (section[count] !== undefined && cell.textContent !== String(section[count])) {
        cell.textContent = String(section[count]);
        flash(cell);
      }
    }
  }

  async function load() {
    const { performance } = await query(PERFORMANCE, { id });
    if (!performance) throw new Error(`No performance with id ${id}.`);
    $('performance').hidden = false;
    const startsAt = new Date(performance.startsAt).toLocaleString();
    $('performance-name').textContent =
      `${performance.title} · ${performance.venue.name} · ${startsAt} · ${performance.seatingChart.name} (${performance.status})`;

    const head = el('tr');
    for (const title of ['Section', 'Category', ...COUNTS]) head.append(el('th', {}, title));
    const table = el('tbody');
    sectionRows.clear();
    for (const section of performance.sections) {
      const row = el('tr', { 'data-section': section.key });
      row.append(el('td', {}, `${section.name} (${section.key})`), el('td', {}, section.category));
      for (const count of COUNTS) row.append(el('td', { 'data-count': count }, String(section[count])));
      sectionRows.set(section.key, row);
      table.append(row);
    }
    const thead = el('thead');
    thead.append(head);
    $('sections').replaceChildren(thead, table);

    seats.clear();
    if (performance.seatingChart.seatCount > SEAT_CELL_LIMIT) {
      $('seat-map').replaceChildren(
        el('p', {}, `${performance.seatingChart.seatCount} seats: too many to draw one by one; the counts above are live.`),
      );
      return;
    }
    const map = (await query(SEAT_MAP, { id })).performance;
    const status = new Map(map.seats.map((seat) => [seat.seatId, seat.status]));
    const blocks = [];
    for (const section of map.seatingChart.sections) {
      const block = el('div', { class: 'section', 'data-section': section.key });
      block.append(el('h3', {}, section.name));
      for (const row of section.rows) {
        const line = el('div', { class: 'seat-row' });
        line.append(el('span', { class: 'label' }, row.label));
        for (const seat of row.seats) {
          const cell = el('span', { class: 'seat', 'data-seat': seat.id, 'data-status': status.get(seat.id) ?? 'FREE', title: seat.id });
          seats.set(seat.id, cell);
          line.append(cell);
        }
        block.append(line);
      }
      blocks.push(block);
    }
    $('seat-map').replaceChildren(...blocks);
  }

  function apply(change) {
    for (const seat of change.seats) {
      const cell = seats.get(seat.seatId);
      if (!cell || cell.dataset.status === seat.status) continue;
      cell.dataset.status = seat.status;
      flash(cell);
    }
    for (const section of change.sections) fillSection(section);
  }

  liveView({ key: 'performance', subscription: SEATS, variables: { id }, load, apply });
}

if (client && hotelId) hotelView(hotelId);
if (client && performanceId) performanceView(performanceId);
