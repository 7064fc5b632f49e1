import { Hotel } from '../../entities/catalog/hotel.entity.js';
import { connectionType } from '../common/connection.js';

export const HotelConnection = connectionType(Hotel, 'Hotel');
export type HotelConnection = InstanceType<typeof HotelConnection>;
