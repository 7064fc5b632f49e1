import { Migration } from '@mikro-orm/migrations';

/**
 * Venues, seating charts, performances and their bookings. Holds live in the hold engine
 * (Redis), not here; this is the record it is rebuilt from: bookings with one item per
 * seat (a unique index over live seats is the last defence against selling one twice)
 * and the seats staff blocked.
 */
export class Migration20261122000000_venues extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "venue" ("id" uuid not null, "name" varchar(200) not null, "city" varchar(200) not null, "address" varchar(500) null, "timezone" varchar(64) not null, "currency" varchar(3) not null, "version" int not null default 1, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "venue_city_id_idx" on "venue" ("city", "id");`);

    this.addSql(`create table "seating_chart" ("id" uuid not null, "venue_id" uuid not null, "name" varchar(200) not null, "layout" jsonb not null, "seat_count" int not null, "version" int not null default 1, "created_at" timestamptz not null default now(), primary key ("id"));`);
    this.addSql(`create index "seating_chart_venue_id_idx" on "seating_chart" ("venue_id");`);
    this.addSql(`alter table "seating_chart" add constraint "seating_chart_venue_id_foreign" foreign key ("venue_id") references "venue" ("id") on delete cascade;`);

    this.addSql(`create table "performance" ("id" uuid not null, "venue_id" uuid not null, "seating_chart_id" uuid not null, "title" varchar(200) not null, "starts_at" timestamptz not null, "ends_at" timestamptz not null, "status" text not null default 'ON_SALE', "prices" jsonb not null, "hold_minutes" smallint not null, "max_seats_per_hold" smallint not null, "details_schema" jsonb null, "version" int not null default 1, "created_at" timestamptz not null default now(), "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "performance_venue_id_starts_at_idx" on "performance" ("venue_id", "starts_at", "id");`);
    this.addSql(`alter table "performance" add constraint "performance_venue_id_foreign" foreign key ("venue_id") references "venue" ("id") on delete cascade;`);
    this.addSql(`alter table "performance" add constraint "performance_seating_chart_id_foreign" foreign key ("seating_chart_id") references "seating_chart" ("id") on delete restrict;`);
    this.addSql(`alter table "performance" add constraint "performance_max_seats_check" check (max_seats_per_hold >= 1 and max_seats_per_hold <= 100);`);
    this.addSql(`alter table "performance" add constraint "performance_hold_minutes_check" check (hold_minutes >= 1 and hold_minutes <= 120);`);
    this.addSql(`alter table "performance" add constraint "performance_times_check" check (ends_at > starts_at);`);
    this.addSql(`alter table "performance" add constraint "performance_status_check" check ("status" in ('ON_SALE', 'CLOSED'));`);

    this.addSql(`create table "seat_block" ("performance_id" uuid not null, "seat_id" varchar(64) not null, primary key ("performance_id", "seat_id"));`);

    this.addSql(`create table "booking" ("id" uuid not null, "kind" text not null, "offering_id" uuid not null, "venue_id" uuid not null, "title" varchar(200) not null, "principal" varchar(255) not null, "guest_name" varchar(200) not null, "guest_email" varchar(320) not null, "details" jsonb null, "status" text not null, "total_minor" bigint not null, "currency" varchar(3) not null, "hold_expires_at" timestamptz null, "refund_due" boolean not null default false, "cancel_reason" text null, "seats_synced" boolean not null default true, "version" int not null default 1, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "booking_offering_id_idx" on "booking" ("offering_id");`);
    this.addSql(`create index "booking_status_hold_idx" on "booking" ("status", "hold_expires_at");`);
    this.addSql(`create index "booking_venue_id_id_idx" on "booking" ("venue_id", "id");`);
    this.addSql(`create index "booking_principal_id_idx" on "booking" ("principal", "id");`);
    this.addSql(`create index "booking_seats_unsynced_idx" on "booking" ("id") where not seats_synced;`);
    this.addSql(`alter table "booking" add constraint "booking_venue_id_foreign" foreign key ("venue_id") references "venue" ("id") on delete restrict;`);
    this.addSql(`alter table "booking" add constraint "booking_kind_check" check ("kind" in ('PERFORMANCE', 'EXHIBITION', 'RESTAURANT'));`);
    this.addSql(`alter table "booking" add constraint "booking_status_check" check ("status" in ('PENDING', 'CONFIRMED', 'CANCELLED', 'EXPIRED', 'REJECTED', 'REFUNDED'));`);

    this.addSql(`create table "booking_item" ("booking_id" uuid not null, "position" smallint not null, "offering_id" uuid not null, "seat_id" varchar(64) null, "starts_at" timestamptz not null, "ends_at" timestamptz not null, "quantity" int not null, "price_minor" bigint not null, "live" boolean not null default true, primary key ("booking_id", "position"));`);
    this.addSql(`create unique index "booking_item_live_seat_uq" on "booking_item" ("offering_id", "seat_id") where live and seat_id is not null;`);
    this.addSql(`alter table "booking_item" add constraint "booking_item_booking_id_foreign" foreign key ("booking_id") references "booking" ("id") on delete cascade;`);
  }
}
