import { Field, ID, InputType, Int } from 'type-graphql';
import type {
  CreateHotelData,
  CreateRoomData,
  CreateRoomTypeData,
  UpdateHotelData,
  UpdateRoomData,
  UpdateRoomTypeData,
} from '../../services/catalog/catalog.service.js';

// Each input implements the service's data type: the compiler keeps the two in step.

@InputType()
export class CreateHotelInput implements CreateHotelData {
  @Field()
  name!: string;

  @Field()
  city!: string;

  @Field(() => String, { nullable: true })
  address?: string | null;

  @Field()
  timezone!: string;

  @Field()
  currency!: string;

  @Field(() => Int, { nullable: true, defaultValue: 10 })
  overbookingPercent?: number | null;
}

@InputType()
export class UpdateHotelInput implements UpdateHotelData {
  @Field(() => ID)
  id!: string;

  @Field(() => Int, { description: 'The version the client last read; a stale one gives VERSION_CONFLICT.' })
  version!: number;

  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  city?: string | null;

  @Field(() => String, { nullable: true })
  address?: string | null;

  @Field(() => String, { nullable: true })
  timezone?: string | null;

  @Field(() => String, { nullable: true })
  currency?: string | null;

  @Field(() => Int, { nullable: true })
  overbookingPercent?: number | null;
}

@InputType()
export class CreateRoomTypeInput implements CreateRoomTypeData {
  @Field(() => ID)
  hotelId!: string;

  @Field()
  name!: string;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => Int)
  maxOccupancy!: number;
}

@InputType()
export class UpdateRoomTypeInput implements UpdateRoomTypeData {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => Int, { nullable: true })
  maxOccupancy?: number | null;
}

@InputType()
export class CreateRoomInput implements CreateRoomData {
  @Field(() => ID)
  roomTypeId!: string;

  @Field()
  number!: string;

  @Field(() => Int, { nullable: true })
  floor?: number | null;
}

@InputType()
export class UpdateRoomInput implements UpdateRoomData {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => String, { nullable: true })
  number?: string | null;

  @Field(() => Int, { nullable: true })
  floor?: number | null;

  @Field(() => Boolean, { nullable: true })
  outOfService?: boolean | null;
}
