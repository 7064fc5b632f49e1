import { Migration } from '@mikro-orm/migrations';

/** Hotels, room types and physical rooms. Children go with their hotel (ON DELETE CASCADE). */
export class Migration20261121000000_catalog extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table "hotel" (
        "id" uuid not null,
        "name" varchar(200) not null,
        "city" varchar(200) not null,
        "address" varchar(500) null,
        "timezone" varchar(64) not null,
        "currency" varchar(3) not null,
        "overbooking_percent" smallint not null default 10,
        "version" int not null default 1,
        "created_at" timestamptz not null default now(),
        primary key ("id"),
        constraint "hotel_overbooking_percent_check" check (overbooking_percent >= 0 and overbooking_percent <= 100)
      );`);
    this.addSql(`create index "hotel_city_id_idx" on "hotel" ("city", "id");`);

    this.addSql(`
      create table "room_type" (
        "id" uuid not null,
        "hotel_id" uuid not null,
        "name" varchar(200) not null,
        "description" text null,
        "max_occupancy" smallint not null,
        "version" int not null default 1,
        primary key ("id"),
        constraint "room_type_hotel_id_foreign" foreign key ("hotel_id") references "hotel" ("id") on delete cascade,
        constraint "room_type_max_occupancy_check" check (max_occupancy >= 1 and max_occupancy <= 20)
      );`);
    this.addSql(`create index "room_type_hotel_id_idx" on "room_type" ("hotel_id");`);

    this.addSql(`
      create table "room" (
        "id" uuid not null,
        "hotel_id" uuid not null,
        "room_type_id" uuid not null,
        "number" varchar(50) not null,
        "floor" smallint null,
        "out_of_service" boolean not null default false,
        "version" int not null default 1,
        primary key ("id"),
        constraint "room_hotel_id_number_unique" unique ("hotel_id", "number"),
        constraint "room_hotel_id_foreign" foreign key ("hotel_id") references "hotel" ("id") on delete cascade,
        constraint "room_room_type_id_foreign" foreign key ("room_type_id") references "room_type" ("id") on delete cascade
      );`);
    this.addSql(`create index "room_room_type_id_idx" on "room" ("room_type_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "room";`);
    this.addSql(`drop table if exists "room_type";`);
    this.addSql(`drop table if exists "hotel";`);
  }
}
