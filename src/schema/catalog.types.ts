import { Hotel } from '../entities/hotel.entity.js';
import { connectionType } from './connection.js';

export const HotelConnection = connectionType(Hotel, 'Hotel');
export type HotelConnection = InstanceType<typeof HotelConnection>;
