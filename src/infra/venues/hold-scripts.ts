import type { Cluster, Redis } from 'ioredis';

/**
 * The hold engine's Lua scripts (VENUES.md, "Holds live in Redis"): one per operation, so
 * every change of a performance is one atomic step and one round trip.
 *
 * Every performance script gets the same four KEYS, all under the hash tag
 * `{perf:<id>}` (so one Redis Cluster slot): the loaded marker, the counters hash, the
 * deadlines sorted set and the event stream. Cell hashes (`…:cell:<section>`) and hold
 * records (`…:hold:<token>`) are named from the marker's key inside the script: there are
 * too many to declare, and they sit in the same slot. ARGV starts with `now` (the
 * caller's clock: scripts never read Redis's) and the event log length; each script's
 * own arguments follow.
 *
 * Cells: absent = FREE, `H:<token>` held, `P:<bookingId>` pending, `S:<bookingId>` sold,
 * `X` blocked. Counters: `<section>:held|sold|blocked` (pending counts as held), and
 * `<section>:cap` for a counted section (an exhibition's time slot: held + sold <= cap),
 * with `<section>:price`, the price it is sold at, carried for events. A hold
 * record has `owner`, `created`, `exp`, `next` (sequence of the next seat added) and
 * `s:<seatId>` = `<sequence>:<tag>:<section>` per seat, so its seats read back in the
 * order added with their tag: what the caller keeps with a held seat (its price, and a
 * quantity: RedisHoldEngine's seatTag), opaque to the scripts, '' for nothing.
 * Seat lists in ARGV are (seatId, section, tag) triples.
 */
const PRELUDE = `
local loadedKey, countsKey, deadlinesKey, eventsKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local base = string.sub(loadedKey, 1, -8) -- the key without ':loaded'
local now, eventLogLength = ARGV[1], ARGV[2]

local KIND = { H = 'held', P = 'held', S = 'sold', X = 'blocked' }
local STATUS = { H = 'HELD', P = 'HELD', S = 'SOLD', X = 'BLOCKED' }

local function kindOf(cell)
  if cell then return KIND[string.sub(cell, 1, 1)] end
end

local function statusOf(cell)
  if cell then return STATUS[string.sub(cell, 1, 1)] end
  return 'FREE'
end

local function cellKey(section) return base .. ':cell:' .. section end
local function holdKey(token) return base .. ':hold:' .. token end
local function isLoaded() return redis.call('EXISTS', loadedKey) == 1 end
local function getCell(section, seatId) return redis.call('HGET', cellKey(section), seatId) end

-- The seats whose status one step changed, for its event.
local function newChange() return { seats = {}, sections = {} } end

-- The only writer of cells: moves the counters with them and notes status changes.
local function setCell(change, section, seatId, old, new)
  if new then
    redis.call('HSET', cellKey(section), seatId, new)
  else
    redis.call('HDEL', cellKey(section), seatId)
  end
  local oldKind, newKind = kindOf(old), kindOf(new)
  if oldKind ~= newKind then
    if oldKind then redis.call('HINCRBY', countsKey, section .. ':' .. oldKind, -1) end
    if newKind then redis.call('HINCRBY', countsKey, section .. ':' .. newKind, 1) end
  end
  local status = statusOf(new)
  if statusOf(old) ~= status then
    table.insert(change.seats, { seatId, status })
    change.sections[section] = true
  end
end

-- Appends the change's event (with the touched sections' counts) unless nothing changed;
-- answers { eventId, body } or {}.
local function appendEvent(change)
  if #change.seats == 0 and next(change.sections) == nil then return {} end
  local sections = {}
  for section in pairs(change.sections) do
    local counts = redis.call('HMGET', countsKey, section .. ':held', section .. ':sold', section .. ':blocked', section .. ':cap', section .. ':price')
    sections[section] = {
      held = tonumber(counts[1]) or 0, sold = tonumber(counts[2]) or 0, blocked = tonumber(counts[3]) or 0,
      capacity = tonumber(counts[4]), price = tonumber(counts[5])
    }
  end
  local body = cjson.encode({ at = now, seats = change.seats, sections = sections })
  local id = redis.call('XADD', eventsKey, 'MAXLEN', '~', eventLogLength, '*', 'event', body)
  return { id, body }
end

-- A counted section's capacity, and its price unless it is ''.
local function setCapacity(section, capacity, price)
  redis.call('HSET', countsKey, section .. ':cap', capacity)
  if price ~= '' then redis.call('HSET', countsKey, section .. ':price', price) end
end

local function readHold(token)
  local fields = redis.call('HGETALL', holdKey(token))
  if #fields == 0 then return nil end
  local hold = { token = token, seats = {} }
  for i = 1, #fields, 2 do
    local name, value = fields[i], fields[i + 1]
    if string.sub(name, 1, 2) == 's:' then
      local sequence, price, section = string.match(value, '^(%d+):([^:]*):(.*)$')
      table.insert(hold.seats, { id = string.sub(name, 3), section = section, price = price, sequence = tonumber(sequence) })
    else
      hold[name] = value
    end
  end
  table.sort(hold.seats, function(a, b) return a.sequence < b.sequence end)
  return hold
end

-- A hold of another owner answers as no hold: a token never tells whose it is.
local function ownedHold(token, owner)
  local hold = readHold(token)
  if hold and hold.owner == owner then return hold end
  return nil
end

local function holdReply(hold)
  local reply = { hold.token, hold.owner, hold.created, hold.exp }
  for _, seat in ipairs(hold.seats) do
    reply[#reply + 1] = seat.id
    reply[#reply + 1] = seat.section
    reply[#reply + 1] = seat.price
  end
  return reply
end

local function writeHold(token, owner, created, expiresAt)
  redis.call('HSET', holdKey(token), 'owner', owner, 'created', created, 'exp', expiresAt, 'next', 0)
  redis.call('ZADD', deadlinesKey, expiresAt, token)
end

-- Adds seats to the hold record (its cells are the caller's), after the ones it has.
local function addHoldSeats(token, seats)
  local key = holdKey(token)
  local sequence = tonumber(redis.call('HGET', key, 'next'))
  for _, seat in ipairs(seats) do
    redis.call('HSET', key, 's:' .. seat.id, sequence .. ':' .. seat.price .. ':' .. seat.section)
    sequence = sequence + 1
  end
  redis.call('HSET', key, 'next', sequence)
end

local function deleteHold(token)
  redis.call('DEL', holdKey(token))
  redis.call('ZREM', deadlinesKey, token)
end

-- Frees the cells the hold still holds and deletes it.
local function expireHold(change, hold)
  local mine = 'H:' .. hold.token
  for _, seat in ipairs(hold.seats) do
    local cell = getCell(seat.section, seat.id)
    if cell == mine then setCell(change, seat.section, seat.id, cell, false) end
  end
  deleteHold(hold.token)
end

-- Lazy expiry, first in every script: every hold with deadline <= now, in one event.
local function purge()
  local change = newChange()
  for _, token in ipairs(redis.call('ZRANGEBYSCORE', deadlinesKey, '-inf', now)) do
    local hold = readHold(token)
    if hold then expireHold(change, hold) else redis.call('ZREM', deadlinesKey, token) end
  end
  return appendEvent(change)
end

-- The seats listed in ARGV from index i up to index last, without repeats.
local function seatList(i, last)
  local seats, seen = {}, {}
  while i < last do
    if not seen[ARGV[i]] then
      seen[ARGV[i]] = true
      table.insert(seats, { id = ARGV[i], section = ARGV[i + 1], price = ARGV[i + 2] })
    end
    i = i + 3
  end
  return seats
end
`;

/** Every operation's script begins so: nothing happens on state that is not loaded, and expired holds go first. */
const LOADED_AND_PURGED = `
if not isLoaded() then return { 'not_loaded' } end
purge()
`;

/**
 * ARGV[3..]: token, owner, expiresAt, existing (1/0), maxSeats, list unavailable seats
 * (1/0), then the candidates, each: seat count, guard count, its seats, then
 * (a, a's section, b, b's section) per guard with b = '' for none.
 * Answers { 'ok', chosen index, event, hold } or a refusal.
 */
const HOLD = `
local token, owner, expiresAt = ARGV[3], ARGV[4], ARGV[5]
local existing, maxSeats, listUnavailable = ARGV[6] == '1', tonumber(ARGV[7]), ARGV[8] == '1'
${LOADED_AND_PURGED}
local hold = readHold(token)
if existing then
  if not hold or hold.owner ~= owner then return { 'token' } end
elseif hold then
  return { 'token' }
end
local mine = 'H:' .. token
local held = hold and #hold.seats or 0

-- The candidate at ARGV[i]: its FREE seats, its seat ids taken by others, whether its guards
-- hold, its seat count, and the index of the next candidate.
local function readCandidate(i)
  local seatCount, guardCount = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  local seats = seatList(i + 2, i + 2 + 3 * seatCount)
  local free, taken = {}, {}
  for _, seat in ipairs(seats) do
    local cell = getCell(seat.section, seat.id)
    if not cell then
      table.insert(free, seat)
    elseif cell ~= mine then
      table.insert(taken, seat.id)
    end
  end
  local guarded = true
  i = i + 2 + 3 * seatCount
  for _ = 1, guardCount do
    local lone = not getCell(ARGV[i + 1], ARGV[i])
    if lone and (ARGV[i + 2] == '' or getCell(ARGV[i + 3], ARGV[i + 2])) then guarded = false end
    i = i + 4
  end
  return free, taken, guarded, seatCount, i
end

local argc, i, index, tooMany = #ARGV, 9, 0, 0
local chosen, firstTaken
while i <= argc do
  local free, taken, guarded, seatCount
  free, taken, guarded, seatCount, i = readCandidate(i)
  firstTaken = firstTaken or taken
  if held + #free + #taken > maxSeats then
    tooMany = tooMany + 1
  elseif seatCount > 0 and #taken == 0 and guarded then
    chosen = free
    break
  end
  index = index + 1
end
if not chosen then
  if index > 0 and tooMany == index then return { 'too_many', maxSeats } end
  return { 'unavailable', listUnavailable and firstTaken or {} }
end

local change = newChange()
if not hold then writeHold(token, owner, now, expiresAt) end
for _, seat in ipairs(chosen) do setCell(change, seat.section, seat.id, false, mine) end
addHoldSeats(token, chosen)
return { 'ok', index, appendEvent(change), holdReply(readHold(token)) }
`;

/**
 * ARGV[3..]: token, owner, expiresAt, existing (1/0), maxSeats, section, quantity, price
 * (or ''). Takes the section's first FREE cells <section>#1, #2, ... while held + sold +
 * quantity <= its capacity. Answers { 'ok', event, hold } or a refusal.
 */
const HOLD_QUANTITY = `
local token, owner, expiresAt = ARGV[3], ARGV[4], ARGV[5]
local existing, maxSeats = ARGV[6] == '1', tonumber(ARGV[7])
local section, quantity, price = ARGV[8], tonumber(ARGV[9]), ARGV[10]
${LOADED_AND_PURGED}
local hold = readHold(token)
if existing then
  if not hold or hold.owner ~= owner then return { 'token' } end
elseif hold then
  return { 'token' }
end
if (hold and #hold.seats or 0) + quantity > maxSeats then return { 'too_many', maxSeats } end
local counts = redis.call('HMGET', countsKey, section .. ':held', section .. ':sold', section .. ':cap')
local capacity = tonumber(counts[3])
if quantity < 1 or not capacity or (tonumber(counts[1]) or 0) + (tonumber(counts[2]) or 0) + quantity > capacity then
  return { 'unavailable', {} }
end
local change, mine, units, n = newChange(), 'H:' .. token, {}, 0
if not hold then writeHold(token, owner, now, expiresAt) end
while #units < quantity do
  n = n + 1
  local id = section .. '#' .. n
  if not getCell(section, id) then
    setCell(change, section, id, false, mine)
    table.insert(units, { id = id, section = section, price = price })
  end
end
addHoldSeats(token, units)
return { 'ok', appendEvent(change), holdReply(readHold(token)) }
`;

/**
 * ARGV[3..]: (section, capacity, price or '') triples. Sets them all, unless some
 * section's held + sold exceeds its new capacity: then { 'unavailable', sections } and
 * nothing changes. Answers { 'ok', event } (an event even when no unit changed).
 */
const SET_CAPACITIES = `
${LOADED_AND_PURGED}
local over = {}
for i = 3, #ARGV, 3 do
  local counts = redis.call('HMGET', countsKey, ARGV[i] .. ':held', ARGV[i] .. ':sold')
  if (tonumber(counts[1]) or 0) + (tonumber(counts[2]) or 0) > tonumber(ARGV[i + 1]) then table.insert(over, ARGV[i]) end
end
if #over > 0 then return { 'unavailable', over } end
local change = newChange()
for i = 3, #ARGV, 3 do
  setCapacity(ARGV[i], ARGV[i + 1], ARGV[i + 2])
  change.sections[ARGV[i]] = true
end
return { 'ok', appendEvent(change) }
`;

/** ARGV[3..]: token, owner. Answers { 'ok', hold } or { 'token' }. */
const GET_HOLD = `
${LOADED_AND_PURGED}
local hold = ownedHold(ARGV[3], ARGV[4])
if not hold then return { 'token' } end
return { 'ok', holdReply(hold) }
`;

/** ARGV[3..]: token, owner, new deadline. Answers { 'ok', hold } or a refusal. */
const EXTEND = `
local token, owner, expiresAt = ARGV[3], ARGV[4], ARGV[5]
${LOADED_AND_PURGED}
local hold = ownedHold(token, owner)
if not hold then return { 'token' } end
redis.call('HSET', holdKey(token), 'exp', expiresAt)
redis.call('ZADD', deadlinesKey, expiresAt, token)
hold.exp = expiresAt
return { 'ok', holdReply(hold) }
`;

/**
 * ARGV[3..]: token, owner, 'all' or 'some', then the seat ids to release (for 'some').
 * Answers { 'ok', event, hold or {} when nothing is left } or a refusal.
 */
const RELEASE = `
local token, owner, all = ARGV[3], ARGV[4], ARGV[5] == 'all'
${LOADED_AND_PURGED}
local hold = ownedHold(token, owner)
if not hold then return { 'token' } end
local listed = {}
for i = 6, #ARGV do listed[ARGV[i]] = true end
local change, mine, left = newChange(), 'H:' .. token, 0
for _, seat in ipairs(hold.seats) do
  if all or listed[seat.id] then
    local cell = getCell(seat.section, seat.id)
    if cell == mine then setCell(change, seat.section, seat.id, cell, false) end
    redis.call('HDEL', holdKey(token), 's:' .. seat.id)
  else
    left = left + 1
  end
end
if left == 0 then
  deleteHold(token)
  return { 'ok', appendEvent(change), {} }
end
return { 'ok', appendEvent(change), holdReply(readHold(token)) }
`;

/** ARGV[3..]: token, owner, bookingId. Answers { 'ok', hold as it was } or a refusal. */
const BEGIN_CHECKOUT = `
local token, owner, pending = ARGV[3], ARGV[4], 'P:' .. ARGV[5]
${LOADED_AND_PURGED}
local hold = ownedHold(token, owner)
if not hold then return { 'token' } end
local change, mine = newChange(), 'H:' .. token
for _, seat in ipairs(hold.seats) do
  local cell = getCell(seat.section, seat.id)
  if cell == mine then setCell(change, seat.section, seat.id, cell, pending) end
end
deleteHold(token)
return { 'ok', holdReply(hold) }
`;

/**
 * ARGV[3..]: token, owner, createdAt, expiresAt, bookingId, then the hold's seats in
 * order. Answers { 'ok', event, number of seats back in the hold }.
 */
const ABORT_CHECKOUT = `
local token, owner, created, expiresAt, pending = ARGV[3], ARGV[4], ARGV[5], ARGV[6], 'P:' .. ARGV[7]
${LOADED_AND_PURGED}
local change, back = newChange(), {}
local expired = tonumber(expiresAt) <= tonumber(now)
for _, seat in ipairs(seatList(8, #ARGV)) do
  local cell = getCell(seat.section, seat.id)
  if cell == pending then
    if expired then
      setCell(change, seat.section, seat.id, cell, false)
    else
      setCell(change, seat.section, seat.id, cell, 'H:' .. token)
      table.insert(back, seat)
    end
  end
end
if #back > 0 then
  writeHold(token, owner, created, expiresAt)
  addHoldSeats(token, back)
end
return { 'ok', appendEvent(change), #back }
`;

/**
 * ARGV[3..]: bookingId, 'sold' or 'free', then the seats.
 * Answers { 'ok', event, conflicting seat ids }.
 */
const SETTLE = `
local pending, sold, outcome = 'P:' .. ARGV[3], 'S:' .. ARGV[3], ARGV[4]
${LOADED_AND_PURGED}
local change, conflicts = newChange(), {}
for _, seat in ipairs(seatList(5, #ARGV)) do
  local cell = getCell(seat.section, seat.id)
  if outcome == 'sold' then
    if cell == pending or not cell then
      setCell(change, seat.section, seat.id, cell, sold)
    elseif cell ~= sold then
      table.insert(conflicts, seat.id)
    end
  elseif cell == pending or cell == sold then
    setCell(change, seat.section, seat.id, cell, false)
  elseif cell then
    table.insert(conflicts, seat.id)
  end
end
return { 'ok', appendEvent(change), conflicts }
`;

/** ARGV[3..]: 1 to block or 0 to unblock, then the seats. Answers { 'ok', event } or a refusal. */
const BLOCK = `
local block = ARGV[3] == '1'
${LOADED_AND_PURGED}
local seats, unavailable = seatList(4, #ARGV), {}
for _, seat in ipairs(seats) do
  local cell = getCell(seat.section, seat.id)
  if (block and cell) or (not block and cell ~= 'X') then table.insert(unavailable, seat.id) end
end
if #unavailable > 0 then return { 'unavailable', unavailable } end
local change = newChange()
for _, seat in ipairs(seats) do
  if block then
    setCell(change, seat.section, seat.id, false, 'X')
  else
    setCell(change, seat.section, seat.id, 'X', false)
  end
end
return { 'ok', appendEvent(change) }
`;

/**
 * The sections that ever had a non-FREE cell: every cell write moves a counter, and
 * counter fields are never deleted.
 */
const SECTIONS = `
local function countedSections()
  local sections, seen = {}, {}
  for _, field in ipairs(redis.call('HKEYS', countsKey)) do
    local section = string.match(field, '^(.*):[^:]*$')
    if not seen[section] then
      seen[section] = true
      table.insert(sections, section)
    end
  end
  return sections
end
`;

/** ARGV[3..]: 'all', or 'some' and the sections to read. Answers { 'ok', seatId, cell, seatId, cell, ... }. */
const CELLS = `
${SECTIONS}
${LOADED_AND_PURGED}
local sections = {}
if ARGV[3] == 'all' then
  sections = countedSections()
else
  for i = 4, #ARGV do table.insert(sections, ARGV[i]) end
end
local reply = { 'ok' }
for _, section in ipairs(sections) do
  local cells = redis.call('HGETALL', cellKey(section))
  for i = 1, #cells do reply[#reply + 1] = cells[i] end
end
return reply
`;

/** Answers { 'ok', { field, count, ... } } (fields `<section>:held|sold|blocked`). */
const COUNTS = `
${LOADED_AND_PURGED}
return { 'ok', redis.call('HGETALL', countsKey) }
`;

/** Answers { 'ok', event, next deadline or '' } or { 'not_loaded' }. */
const PURGE = `
if not isLoaded() then return { 'not_loaded' } end
local event = purge()
local earliest = redis.call('ZRANGE', deadlinesKey, 0, 0, 'WITHSCORES')
return { 'ok', event, earliest[2] or '' }
`;

/**
 * ARGV[3..]: the number of capacities, (section, capacity, price or '') triples, then (seatId, section,
 * cell) triples. Sets them all and the marker unless the marker is there; a seat listed
 * twice keeps its first cell. Answers { 'loaded' } or { 'already' }.
 * Cells go in batches through unpack(), whose stack limit a 100,000-seat call would break.
 */
const LOAD = `
if isLoaded() then return { 'already' } end
local capacities = tonumber(ARGV[3])
for i = 4, 3 + 3 * capacities, 3 do setCapacity(ARGV[i], ARGV[i + 1], ARGV[i + 2]) end
local BATCH = 500
local batches, counts, seen = {}, {}, {}
local function flush(section)
  local batch = batches[section]
  if batch and #batch > 0 then redis.call('HSET', cellKey(section), unpack(batch)) end
  batches[section] = {}
end
for i = 4 + 3 * capacities, #ARGV, 3 do
  local seatId, section, cell = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if not seen[seatId] then
    seen[seatId] = true
    local batch = batches[section] or {}
    batches[section] = batch
    batch[#batch + 1] = seatId
    batch[#batch + 1] = cell
    if #batch >= 2 * BATCH then flush(section) end
    local field = section .. ':' .. kindOf(cell)
    counts[field] = (counts[field] or 0) + 1
  end
end
for section in pairs(batches) do flush(section) end
for field, count in pairs(counts) do redis.call('HSET', countsKey, field, count) end
redis.call('SET', loadedKey, '1')
return { 'loaded' }
`;

/** Deletes every key of the performance. */
const DROP = `
${SECTIONS}
for _, section in ipairs(countedSections()) do redis.call('DEL', cellKey(section)) end
for _, token in ipairs(redis.call('ZRANGE', deadlinesKey, 0, -1)) do redis.call('DEL', holdKey(token)) end
redis.call('DEL', countsKey, deadlinesKey, eventsKey, loadedKey)
return { 'ok' }
`;

/**
 * KEYS: the reaper's index (performance -> version), the counter versions come from (one
 * hash tag: one slot). ARGV: performanceId. Gives the performance a version never used
 * before, so a version read earlier can never match again (even after a removal and re-add).
 */
const INDEX_HOLD = `
redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[2]), ARGV[1])
return 1
`;

/**
 * KEYS[1]: the reaper's index. ARGV: performanceId, the version read before purging.
 * Removes the member only if no hold was created since; answers 1 when it did.
 */
const FORGET_IF_UNCHANGED = `
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 1
end
return 0
`;

const PERFORMANCE_SCRIPTS = {
  venuesHold: HOLD,
  venuesHoldQuantity: HOLD_QUANTITY,
  venuesSetCapacities: SET_CAPACITIES,
  venuesGetHold: GET_HOLD,
  venuesExtend: EXTEND,
  venuesRelease: RELEASE,
  venuesBeginCheckout: BEGIN_CHECKOUT,
  venuesAbortCheckout: ABORT_CHECKOUT,
  venuesSettle: SETTLE,
  venuesBlock: BLOCK,
  venuesCells: CELLS,
  venuesCounts: COUNTS,
  venuesPurge: PURGE,
  venuesLoad: LOAD,
  venuesDrop: DROP,
};

/** KEYS of every performance script, in the order the prelude reads them. */
const PERFORMANCE_KEY_COUNT = 4;

export type PerformanceScript = keyof typeof PERFORMANCE_SCRIPTS;
export type ScriptArg = string | number;
/** Runs one script by SHA (EVAL once per connection when Redis does not have it). */
export type RunScript = (keys: string[], args: ScriptArg[]) => Promise<unknown>;

export interface HoldScripts {
  performance: Record<PerformanceScript, RunScript>;
  indexHold: RunScript;
  forgetIfUnchanged: RunScript;
}

/**
 * Registers the scripts on the client (ioredis `defineCommand`: EVALSHA with EVAL as the
 * fallback, on a Cluster too) and answers typed callers. `args` goes as one array, which
 * ioredis flattens into the command: spreading 300,000 arguments into a call would
 * overflow the stack.
 */
export function defineHoldScripts(client: Redis | Cluster): HoldScripts {
  const commands = client as unknown as Record<string, (...args: (string | ScriptArg[])[]) => Promise<unknown>>;
  const define = (name: string, lua: string, numberOfKeys: number): RunScript => {
    client.defineCommand(name, { lua, numberOfKeys });
    return (keys, args) => commands[name](...keys, args);
  };
  const performance = Object.fromEntries(
    Object.entries(PERFORMANCE_SCRIPTS).map(([name, body]) => [name, define(name, PRELUDE + body, PERFORMANCE_KEY_COUNT)]),
  ) as Record<PerformanceScript, RunScript>;
  return {
    performance,
    indexHold: define('venuesIndexHold', INDEX_HOLD, 2),
    forgetIfUnchanged: define('venuesForgetIfUnchanged', FORGET_IF_UNCHANGED, 1),
  };
}
