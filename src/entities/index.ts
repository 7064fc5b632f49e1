import { Hotel } from './hotel.entity.js';
import { RoomType } from './room-type.entity.js';
import { Room } from './room.entity.js';

export { Hotel, RoomType, Room };

/** Listed explicitly: no glob discovery, so the same list works from src/ and dist/. */
export const entities = [Hotel, RoomType, Room];
