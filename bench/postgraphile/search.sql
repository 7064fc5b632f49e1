-- The search of the PostGraphile ceiling (bench/postgraphile.ts): what searchAvailability
-- answers, as one SQL function that PostGraphile exposes as the query field `search`.
-- It computes exactly what the server's offersOf does (src/services/stays/search.service.ts,
-- inventory-day.ts, pricing.ts nightlyRate) over the tables of migrations/:
--
-- for each room type of the hotel, in id order, over the nights [check_in, check_out):
--   a night without an inventory row counts as total = reserved = sell_limit = 0;
--   available = greatest(0, sell_limit - reserved);
--   the room type is offered only if every night has a base rate and available >= rooms;
--   a night's price is the base rate adjusted by the pricing rule with the highest
--   min_occupancy_percent such that min_occupancy_percent * total <= 100 * reserved
--   (total = 0: only a rule with min_occupancy_percent = 0), floor((base * (100 + adj) + 50) / 100),
--   or the base rate when no rule is reached;
--   the offer's available is the least of its nights', its total the sum of the nights' prices * rooms.
--
-- The bench applies this file to its database before starting PostGraphile: it replaces
-- whatever an earlier run left.

drop schema if exists bench_postgraphile cascade;
create schema bench_postgraphile;

create type bench_postgraphile.offer as (
  room_type_id uuid,
  available integer,
  total_minor bigint,
  currency text
);

-- STABLE plain SQL (not STRICT), so PostgreSQL inlines it into PostGraphile's statement.
-- PostGraphile prepares its statements, and this shape (range scans of each room type's
-- nights, no generate_series whose row count a generic plan cannot know) lets PostgreSQL
-- keep one generic plan per connection instead of planning every search (planning was
-- most of a search's database time). A room type is offered when each of its
-- check_out - check_in nights has an inventory row with room for `rooms` (>= 1, as the
-- server's validation requires, so a missing row, which has nothing to sell, fails the
-- count) and a base rate. Arguments are qualified by the function's name: in a SQL
-- function a column of the same name would win over them.
create function bench_postgraphile.search(hotel_id uuid, check_in date, check_out date, rooms integer default 1)
returns setof bench_postgraphile.offer
language sql
stable
as $$
  select rt.id, stay.available, (stay.total * search.rooms)::bigint, h.currency::text
    from hotel h
    join room_type rt on rt.hotel_id = h.id
   cross join lateral (
          select min(greatest(0, inv.sell_limit - inv.reserved))::integer as available,
                 sum(case when rule.adjustment_percent is null then rate.amount_minor
                          else floor((rate.amount_minor * (100 + rule.adjustment_percent) + 50)::numeric / 100)::bigint
                     end) as total,
                 count(*) as nights
            from room_type_inventory inv
            join room_type_rate rate on rate.room_type_id = inv.room_type_id and rate.date = inv.date
            left join lateral (
                  select p.adjustment_percent
                    from pricing_rule p
                   where p.room_type_id = inv.room_type_id
                     and case when inv.total > 0
                              then p.min_occupancy_percent * inv.total::bigint <= 100 * inv.reserved::bigint
                              else p.min_occupancy_percent = 0 end
                   order by p.min_occupancy_percent desc
                   limit 1) as rule on true
           where inv.room_type_id = rt.id
             and inv.date >= search.check_in and inv.date < search.check_out
             and inv.sell_limit - inv.reserved >= search.rooms) as stay
   where h.id = search.hotel_id
     and stay.nights = search.check_out - search.check_in
   order by rt.id
$$;

comment on function bench_postgraphile.search(uuid, date, date, integer) is
  'The offers of a hotel for a stay, as searchAvailability computes them (bench/postgraphile/search.sql).';
