/** Dataset sizes. `full` is the scale of the design: 5,000 hotels, 1,000,000 rooms, a year of nights. */
export interface Scale {
  name: string;
  hotels: number;
  roomTypesPerHotel: number;
  roomsPerRoomType: number;
  nights: number;
  /** Seats of the seated performance (a 200-seat section HOT plus four equal sections in rows of 50). */
  seats: number;
  /** Clients of seat-hold and seat-hot. */
  seatClients: number;
  /** Clients of slot-storm and table-storm. */
  slotClients: number;
  tableClients: number;
}

export const SCALES: Record<string, Scale> = {
  tiny: { name: 'tiny', hotels: 10, roomTypesPerHotel: 4, roomsPerRoomType: 20, nights: 60, seats: 10_000, seatClients: 64, slotClients: 64, tableClients: 64 },
  small: { name: 'small', hotels: 100, roomTypesPerHotel: 4, roomsPerRoomType: 50, nights: 365, seats: 100_000, seatClients: 500, slotClients: 500, tableClients: 200 },
  full: { name: 'full', hotels: 5_000, roomTypesPerHotel: 4, roomsPerRoomType: 50, nights: 365, seats: 100_000, seatClients: 500, slotClients: 500, tableClients: 200 },
};

export interface BenchOptions {
  scale: Scale;
  durationMs: number;
  connections: number;
  subscribers: number;
  /** Clients of seat-hold and seat-hot; the scale's by default. */
  seatClients?: number;
  scenarios: string[];
  /** Write the results into bench/RESULTS.md. */
  record: boolean;
  /** SERVER_PROCESSES of the servers (a number or `auto`); unset: the server's default, one process. */
  processes?: string;
}

/** The seated-performance scenarios (bench/seats.ts). */
export const SEAT_SCENARIOS = ['seat-hold', 'seat-hot', 'seat-map'];

/** Timed entry and restaurant tables (bench/offerings.ts). */
export const OFFERING_SCENARIOS = ['slot-storm', 'table-storm'];

export const ALL_SCENARIOS = ['reserve-spread', 'reserve-hot', 'search', 'fanout', ...SEAT_SCENARIOS, ...OFFERING_SCENARIOS];

export function parseArgs(argv: string[]): BenchOptions {
  const options: BenchOptions = {
    scale: SCALES.small,
    durationMs: 20_000,
    connections: 64,
    subscribers: 2_000,
    scenarios: ALL_SCENARIOS,
    record: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const take = () => {
      i++;
      if (value === undefined) throw new Error(`${flag} needs a value`);
      return value;
    };
    switch (flag) {
      case '--scale':
        options.scale = SCALES[take()] ?? fail(`--scale is one of ${Object.keys(SCALES).join(', ')}`);
        break;
      case '--duration':
        options.durationMs = positive(flag, take()) * 1000;
        break;
      case '--connections':
        options.connections = positive(flag, take());
        break;
      case '--subscribers':
        options.subscribers = positive(flag, take());
        break;
      case '--seat-clients':
        options.seatClients = positive(flag, take());
        break;
      case '--scenarios':
        options.scenarios = take().split(',');
        for (const s of options.scenarios) if (!ALL_SCENARIOS.includes(s)) fail(`unknown scenario ${s}`);
        break;
      case '--record':
        options.record = true;
        break;
      case '--processes': {
        const processes = take();
        if (processes !== 'auto' && !Number.isInteger(positive(flag, processes))) fail(`${flag} is auto or a whole number`);
        options.processes = processes;
        break;
      }
      default:
        fail(`unknown option ${flag}`);
    }
  }
  return options;
}

function positive(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) fail(`${flag} must be a positive number`);
  return n;
}

function fail(message: string): never {
  throw new Error(`${message}\nusage: npm run bench -- [--scale tiny|small|full] [--duration s] [--connections n] [--subscribers n] [--seat-clients n] [--scenarios a,b] [--processes n|auto] [--record]`);
}
