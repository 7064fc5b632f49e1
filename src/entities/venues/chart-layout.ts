/**
 * The JSON a seating chart stores (see SeatingChart): sections of rows, front to back,
 * each row a label, a first number and a seat count. The rules and the seat ids built
 * from it are in src/services/venues/seating/layout.ts.
 */
export interface RowLayout {
  label: string;
  firstNumber: number;
  seats: number;
  /** Numbers of the wheelchair-accessible seats, ascending. */
  accessible: number[];
}

export interface SectionLayout {
  key: string;
  name: string;
  category: string;
  rows: RowLayout[];
}

export interface ChartLayout {
  sections: SectionLayout[];
}
