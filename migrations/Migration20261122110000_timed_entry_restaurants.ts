import { Migration } from '@mikro-orm/migrations';

/**
 * Exhibitions with their time slots, restaurants with their tables, and booking items
 * for a slot's tickets or a table's seating (with the hold-engine cells they stand for).
 */
export class Migration20261122110000_timed_entry_restaurants extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "exhibition" ("id" uuid not null, "venue_id" uuid not null, "title" varchar(200) not null, "description" text null, "status" text not null default 'ON_SALE', "hold_minutes" smallint not null, "max_tickets_per_hold" smallint not null, "details_schema" jsonb null, "version" int not null default 1, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "exhibition_venue_id_idx" on "exhibition" ("venue_id", "id");`);
    this.addSql(`alter table "exhibition" add constraint "exhibition_venue_id_foreign" foreign key ("venue_id") references "venue" ("id") on delete cascade;`);
    this.addSql(`alter table "exhibition" add constraint "exhibition_hold_minutes_check" check (hold_minutes >= 1 and hold_minutes <= 120);`);
    this.addSql(`alter table "exhibition" add constraint "exhibition_max_tickets_check" check (max_tickets_per_hold >= 1 and max_tickets_per_hold <= 100);`);
    this.addSql(`alter table "exhibition" add constraint "exhibition_status_check" check ("status" in ('ON_SALE', 'CLOSED'));`);

    this.addSql(`create table "time_slot" ("id" uuid not null, "exhibition_id" uuid not null, "local_date" date not null, "starts_at" timestamptz not null, "ends_at" timestamptz not null, "capacity" int not null, "price_minor" bigint not null, "version" int not null default 1, primary key ("id"));`);
    this.addSql(`alter table "time_slot" add constraint "time_slot_exhibition_id_starts_at_uq" unique ("exhibition_id", "starts_at");`);
    this.addSql(`create index "time_slot_exhibition_id_local_date_idx" on "time_slot" ("exhibition_id", "local_date", "starts_at");`);
    this.addSql(`alter table "time_slot" add constraint "time_slot_exhibition_id_foreign" foreign key ("exhibition_id") references "exhibition" ("id") on delete cascade;`);
    this.addSql(`alter table "time_slot" add constraint "time_slot_times_check" check (ends_at > starts_at);`);
    this.addSql(`alter table "time_slot" add constraint "time_slot_capacity_check" check (capacity >= 0);`);
    this.addSql(`alter table "time_slot" add constraint "time_slot_price_check" check (price_minor >= 0);`);

    this.addSql(`create table "restaurant" ("id" uuid not null, "venue_id" uuid not null, "name" varchar(200) not null, "status" text not null default 'ON_SALE', "slot_minutes" smallint not null, "turn_minutes" smallint not null, "opening_hours" jsonb not null, "max_party_size" smallint not null, "deposit_per_cover_minor" bigint not null, "hold_minutes" smallint not null, "details_schema" jsonb null, "version" int not null default 1, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "restaurant_venue_id_idx" on "restaurant" ("venue_id", "id");`);
    this.addSql(`alter table "restaurant" add constraint "restaurant_venue_id_foreign" foreign key ("venue_id") references "venue" ("id") on delete cascade;`);
    this.addSql(`alter table "restaurant" add constraint "restaurant_hold_minutes_check" check (hold_minutes >= 1 and hold_minutes <= 120);`);
    this.addSql(`alter table "restaurant" add constraint "restaurant_minutes_check" check (slot_minutes >= 5 and turn_minutes >= 5);`);
    this.addSql(`alter table "restaurant" add constraint "restaurant_party_check" check (max_party_size >= 1 and max_party_size <= 100);`);
    this.addSql(`alter table "restaurant" add constraint "restaurant_deposit_check" check (deposit_per_cover_minor >= 0);`);
    this.addSql(`alter table "restaurant" add constraint "restaurant_status_check" check ("status" in ('ON_SALE', 'CLOSED'));`);

    this.addSql(`create table "dining_table" ("id" uuid not null, "restaurant_id" uuid not null, "label" varchar(50) not null, "min_covers" smallint not null, "max_covers" smallint not null, "version" int not null default 1, primary key ("id"));`);
    this.addSql(`create index "dining_table_restaurant_id_idx" on "dining_table" ("restaurant_id", "id");`);
    this.addSql(`alter table "dining_table" add constraint "dining_table_restaurant_id_foreign" foreign key ("restaurant_id") references "restaurant" ("id") on delete cascade;`);
    this.addSql(`alter table "dining_table" add constraint "dining_table_covers_check" check (min_covers >= 1 and max_covers >= min_covers);`);

    this.addSql(`alter table "booking_item" add column "time_slot_id" uuid null, add column "table_id" uuid null, add column "units" jsonb null;`);
    this.addSql(`create index "booking_item_time_slot_id_idx" on "booking_item" ("time_slot_id") where time_slot_id is not null;`);
    this.addSql(`create index "booking_item_table_id_idx" on "booking_item" ("table_id", "starts_at") where table_id is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "booking_item_table_id_idx";`);
    this.addSql(`drop index "booking_item_time_slot_id_idx";`);
    this.addSql(`alter table "booking_item" drop column "time_slot_id", drop column "table_id", drop column "units";`);
    this.addSql(`drop table "dining_table";`);
    this.addSql(`drop table "restaurant";`);
    this.addSql(`drop table "time_slot";`);
    this.addSql(`drop table "exhibition";`);
  }
}
