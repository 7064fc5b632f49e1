import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './redis-process.js';

export { freePort };

const run = promisify(execFile);
const BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** Whether initdb and pg_ctl are installed (CI has them; a bare laptop may not). */
export function postgresInstalled(): boolean {
  return existsSync(join(BIN, 'initdb')) && existsSync(join(BIN, 'pg_ctl'));
}

/** PostgreSQL refuses to run as root: run its tools as the postgres user then. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) throw new Error('running as root, and there is no postgres user');
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * A throwaway PostgreSQL cluster of the test's own (initdb in a temporary directory,
 * its own port, trust auth): stopping or killing it disturbs nobody else. `stop('immediate')`
 * is a crash as clients see it; `start()` again brings the same data back.
 */
export class PostgresProcess {
  readonly dir: string;
  private readonly user = postgresUser();

  private constructor(readonly port: number) {
    this.dir = mkdtempSync(join(tmpdir(), 'rs-pg-'));
    if (this.user) {
      chownSync(this.dir, this.user.uid, this.user.gid);
      chmodSync(this.dir, 0o700);
    }
  }

  /** initdb on a fresh directory and a spare port, then start it. */
  static async create(port?: number): Promise<PostgresProcess> {
    const pg = new PostgresProcess(port ?? (await freePort()));
    await pg.tool('initdb', ['-D', pg.dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
    await pg.start();
    return pg;
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  /** The URL of a database in this cluster (`postgres` unless named). */
  url(database = 'postgres'): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
    await this.tool('pg_ctl', ['-D', this.dataDir, '-o', options, '-l', join(this.dir, 'log'), '-w', '-t', '30', 'start']);
  }

  /** `immediate` kills the server as a crash would: clients see their connections cut. */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (!existsSync(join(this.dataDir, 'postmaster.pid'))) return;
    await this.tool('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', '-t', '30', 'stop']);
  }

  /** Stops the server (if running) and removes its directory. */
  async destroy(): Promise<void> {
    try {
      await this.stop('immediate');
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  private async tool(name: string, args: string[]): Promise<void> {
    const file = join(BIN, name);
    const command = this.user ? 'runuser' : file;
    const argv = this.user ? ['-u', 'postgres', '--', file, ...args] : args;
    await run(command, argv, { cwd: this.dir, timeout: 60_000 });
  }
}
