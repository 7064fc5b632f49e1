import { Migration } from '@mikro-orm/migrations';

/**
 * Inventory, rates, pricing rules, reservations, idempotency keys, the outbox and
 * the test gateway's ledger. Reservations RESTRICT deletes of their hotel and room
 * type; everything else goes with its room type.
 */
export class Migration20261121010000_reservations extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "idempotency_key" ("principal" varchar(255) not null, "operation" varchar(32) not null, "key" varchar(255) not null, "request_hash" varchar(64) not null, "state" varchar(16) not null, "reservation_id" uuid null, "error_code" varchar(32) null, "error_message" text null, "locked_until" timestamptz not null, "created_at" timestamptz not null, "expires_at" timestamptz not null, primary key ("principal", "operation", "key"));`);
    this.addSql(`create index "idempotency_key_expires_at_idx" on "idempotency_key" ("expires_at");`);
    this.addSql(`create table "outbox" ("seq" bigserial primary key, "event_id" uuid not null, "topic" varchar(64) not null, "hotel_id" uuid not null, "payload" jsonb not null, "created_at" timestamptz not null default now(), "published_at" timestamptz null);`);
    this.addSql(`alter table "outbox" add constraint "outbox_event_id_unique" unique ("event_id");`);
    this.addSql(`create index "outbox_unpublished_idx" on "outbox" ("published_at", "seq");`);
    this.addSql(`create table "room_type_rate" ("room_type_id" uuid not null, "date" date not null, "hotel_id" uuid not null, "amount_minor" bigint not null, primary key ("room_type_id", "date"));`);
    this.addSql(`create table "reservation" ("id" uuid not null, "hotel_id" uuid not null, "room_type_id" uuid not null, "principal" varchar(255) not null, "guest_name" varchar(200) not null, "guest_email" varchar(320) not null, "check_in" date not null, "check_out" date not null, "rooms" smallint not null, "status" text not null, "total_minor" bigint not null, "currency" varchar(3) not null, "hold_expires_at" timestamptz null, "refund_due" boolean not null default false, "cancel_reason" text null, "version" int not null default 1, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "reservation_status_hold_idx" on "reservation" ("status", "hold_expires_at");`);
    this.addSql(`create index "reservation_room_type_id_idx" on "reservation" ("room_type_id");`);
    this.addSql(`create index "reservation_hotel_id_id_idx" on "reservation" ("hotel_id", "id");`);
    this.addSql(`create index "reservation_principal_id_idx" on "reservation" ("principal", "id");`);
    this.addSql(`create table "pricing_rule" ("room_type_id" uuid not null, "min_occupancy_percent" smallint not null, "hotel_id" uuid not null, "adjustment_percent" smallint not null, primary key ("room_type_id", "min_occupancy_percent"));`);
    this.addSql(`create table "room_type_inventory" ("room_type_id" uuid not null, "date" date not null, "hotel_id" uuid not null, "total" int not null, "reserved" int not null default 0, "sell_limit" int not null, "version" int not null default 1, primary key ("room_type_id", "date"));`);
    this.addSql(`create index "room_type_inventory_hotel_id_date_idx" on "room_type_inventory" ("hotel_id", "date");`);
    this.addSql(`create table "test_gateway_charge" ("idempotency_key" varchar(255) not null, "token" varchar(255) not null, "amount_minor" bigint not null, "currency" varchar(3) not null, "status" varchar(16) not null, "refunded_minor" bigint not null default '0', "created_at" timestamptz not null, "refunded_at" timestamptz null, primary key ("idempotency_key"));`);
    this.addSql(`alter table "room_type_rate" add constraint "room_type_rate_room_type_id_foreign" foreign key ("room_type_id") references "room_type" ("id") on delete cascade;`);
    this.addSql(`alter table "room_type_rate" add constraint "room_type_rate_hotel_id_foreign" foreign key ("hotel_id") references "hotel" ("id") on delete cascade;`);
    this.addSql(`alter table "room_type_rate" add constraint "room_type_rate_amount_min" check (amount_minor >= 0);`);
    this.addSql(`alter table "reservation" add constraint "reservation_hotel_id_foreign" foreign key ("hotel_id") references "hotel" ("id") on delete restrict;`);
    this.addSql(`alter table "reservation" add constraint "reservation_room_type_id_foreign" foreign key ("room_type_id") references "room_type" ("id") on delete restrict;`);
    this.addSql(`alter table "reservation" add constraint "reservation_stay_check" check (check_out > check_in);`);
    this.addSql(`alter table "reservation" add constraint "reservation_rooms_check" check (rooms >= 1 and rooms <= 20);`);
    this.addSql(`alter table "reservation" add constraint "reservation_status_check" check ("status" in ('PENDING', 'CONFIRMED', 'CANCELLED', 'EXPIRED', 'REJECTED', 'REFUNDED'));`);
    this.addSql(`alter table "pricing_rule" add constraint "pricing_rule_room_type_id_foreign" foreign key ("room_type_id") references "room_type" ("id") on delete cascade;`);
    this.addSql(`alter table "pricing_rule" add constraint "pricing_rule_hotel_id_foreign" foreign key ("hotel_id") references "hotel" ("id") on delete cascade;`);
    this.addSql(`alter table "room_type_inventory" add constraint "room_type_inventory_room_type_id_foreign" foreign key ("room_type_id") references "room_type" ("id") on delete cascade;`);
    this.addSql(`alter table "room_type_inventory" add constraint "room_type_inventory_hotel_id_foreign" foreign key ("hotel_id") references "hotel" ("id") on delete cascade;`);
    this.addSql(`alter table "room_type_inventory" add constraint "room_type_inventory_total_min" check (total >= 0);`);
    this.addSql(`alter table "room_type_inventory" add constraint "room_type_inventory_reserved_max" check (reserved <= sell_limit);`);
    this.addSql(`alter table "room_type_inventory" add constraint "room_type_inventory_reserved_min" check (reserved >= 0);`);
  }

  override async down(): Promise<void> {
    for (const table of ['test_gateway_charge', 'outbox', 'idempotency_key', 'reservation', 'pricing_rule', 'room_type_rate', 'room_type_inventory']) {
      this.addSql(`drop table if exists "${table}";`);
    }
  }
}
