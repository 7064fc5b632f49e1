import { DomainError, ErrorCode, forbidden, unauthenticated } from './errors.js';

export const ROLES = ['guest', 'staff', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, from the verified token's claims. */
export interface Principal {
  sub: string;
  role: Role;
  /** For staff: the hotels they may manage. */
  hotels: readonly string[];
  /** For staff: the venues they may manage. */
  venues: readonly string[];
}

/**
 * The caller of one operation: a principal, nobody, or a token that failed.
 * Reads need no token, so a bad token only matters where a principal is required.
 */
export class Caller {
  private constructor(
    readonly principal: Principal | undefined,
    private readonly failure?: DomainError,
  ) {}

  static anonymous(): Caller {
    return new Caller(undefined);
  }

  static of(principal: Principal): Caller {
    return new Caller(principal);
  }

  /** A token was sent but could not be accepted (bad signature, expired, malformed claims). */
  static rejected(reason: string): Caller {
    return new Caller(undefined, unauthenticated(`Invalid token: ${reason}`));
  }

  /** The token could not be checked because the key source (JWKS) is unreachable. */
  static unverifiable(): Caller {
    return new Caller(
      undefined,
      new DomainError(ErrorCode.BUSY, 'The token cannot be verified right now: retry shortly'),
    );
  }

  /** The principal, or UNAUTHENTICATED (BUSY when the key source is down). */
  require(): Principal {
    if (this.principal) return this.principal;
    throw this.failure ?? unauthenticated();
  }

  requireAdmin(): Principal {
    const principal = this.require();
    if (principal.role !== 'admin') throw forbidden('Only an admin may do this');
    return principal;
  }

  /** Admin, or staff whose `hotels` claim lists this hotel. */
  requireHotelManager(hotelId: string): Principal {
    const principal = this.require();
    if (!canManageHotel(principal, hotelId)) {
      throw forbidden('Only staff of this hotel or an admin may do this');
    }
    return principal;
  }

  /** Admin, or staff whose `venues` claim lists this venue. */
  requireVenueManager(venueId: string): Principal {
    const principal = this.require();
    if (!canManageVenue(principal, venueId)) {
      throw forbidden('Only staff of this venue or an admin may do this');
    }
    return principal;
  }
}

export function canManageVenue(principal: Principal, venueId: string): boolean {
  return (
    principal.role === 'admin' || (principal.role === 'staff' && principal.venues.includes(venueId))
  );
}

export function canManageHotel(principal: Principal, hotelId: string): boolean {
  return (
    principal.role === 'admin' || (principal.role === 'staff' && principal.hotels.includes(hotelId))
  );
}
