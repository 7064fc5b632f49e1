/** The kinds of things a venue sells through holds and bookings. */
export enum OfferingKind {
  PERFORMANCE = 'PERFORMANCE',
  EXHIBITION = 'EXHIBITION',
  RESTAURANT = 'RESTAURANT',
}

export enum OfferingStatus {
  ON_SALE = 'ON_SALE',
  /** No new holds; existing bookings stand. */
  CLOSED = 'CLOSED',
}
