import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

export interface ServerProcess {
  url: string;
  origin: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** The Node options `npm start` gives the server (package.json's start script: its heap limit). */
function startOptions(): string[] {
  const start = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const options = /node ((?:--\S+ )*)dist\/src\/main\.js/.exec(start);
  if (!options) throw new Error(`package.json's start script does not run dist/src/main.js: ${start}`);
  return options[1].split(' ').filter(Boolean);
}

/** The real server, as `npm start` runs it (the compiled build, its Node options), in a process of its own. */
export async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  // BENCH_CPU_PROF=dir writes a V8 CPU profile of each server there when it stops.
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  // BENCH_SERVER_NODE_OPTIONS=... gives the servers (only) more Node options, after npm start's (so they win: another heap limit, say).
  const extra = process.env.BENCH_SERVER_NODE_OPTIONS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...startOptions(), ...extra, ...profile, 'dist/src/main.js'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: '0',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // BENCH_SERVER_LOG=file appends the servers' JSON log lines there.
  const logFile = process.env.BENCH_SERVER_LOG;
  if (logFile) child.stdout!.on('data', (chunk: Buffer) => appendFileSync(logFile, chunk));
  return serverProcess(child, 'server');
}

/** A child process that announces its url (`announcedUrl`), once it has. */
export async function serverProcess(child: ChildProcess, name: string): Promise<ServerProcess> {
  const url = await announcedUrl(child, name);
  return { url, origin: new URL(url).origin, pid: child.pid!, child, stop: stopper(child) };
}

/** Stops `child` with SIGTERM and waits for it to exit (at once if it has already). */
export function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
}

/** The `url` of the first JSON line on the child's stdout that has one (how the server and PostGraphile say they listen). */
export function announcedUrl(child: ChildProcess, name: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (const line of buffered.split('\n')) {
        if (line.includes('"url"')) resolve(JSON.parse(line).url as string);
      }
      buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
}

/** RSS (MB) and CPU time (s) of a process, from /proc. */
export function usage(pid: number): { rssMb: number; cpuSeconds: number } {
  const { rssMb, cpuSeconds } = sample(pid);
  return { rssMb, cpuSeconds };
}

interface Sample {
  rssMb: number;
  /** Its own user + system time. */
  cpuSeconds: number;
  /** User + system time of its children that ended and were waited for. */
  reapedChildrenCpuSeconds: number;
}

function sample(pid: number): Sample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const stat = statFields(pid);
  const ticks = Number(stat[11]) + Number(stat[12]); // utime + stime
  const childTicks = Number(stat[13]) + Number(stat[14]); // cutime + cstime
  return { rssMb: rssKb / 1024, cpuSeconds: ticks / 100, reapedChildrenCpuSeconds: childTicks / 100 };
}

/** /proc/<pid>/stat from the field after the command name (state, ppid, ...): the name may hold spaces and parentheses. */
function statFields(pid: number | string): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** The sample, or undefined when the process has gone (a worker that died between listing and reading). */
function sampleIfAlive(pid: number): Sample | undefined {
  try {
    return sample(pid);
  } catch {
    return undefined;
  }
}

/** Children of `pid`: /proc/<pid>/task/<tid>/children where the kernel has them, else a scan of every /proc/<n>/stat. */
function childrenOf(pid: number, scan: () => Map<number, number[]>): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
    );
  } catch {
    return scan().get(pid) ?? [];
  }
}

/** Parent pid -> child pids, for every process visible in /proc. */
function scanParents(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let ppid: number;
    try {
      ppid = Number(statFields(entry)[1]);
    } catch {
      continue;
    }
    const list = children.get(ppid);
    if (list) list.push(Number(entry));
    else children.set(ppid, [Number(entry)]);
  }
  return children;
}

/**
 * The descendants of `pid` (with SERVER_PROCESSES, the server's workers; none for a
 * single process), looked up afresh each time: a worker that died is replaced.
 */
export function descendants(pid: number): number[] {
  let scanned: Map<number, number[]> | undefined;
  const scan = () => (scanned ??= scanParents());
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of childrenOf(queue.shift()!, scan)) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/**
 * Samples processes while `work` runs, each with its descendants (the workers of a
 * server run with SERVER_PROCESSES): peakRssMb is the largest single process, as it
 * was for one process; peakTotalRssMb is the most the trees held together; cpuPercent
 * is the CPU of every process of the trees, summed, as a share of one core (a process
 * that ended during the run counts up to its end, through its parent's reaped-children
 * time).
 */
export async function measure<T>(
  pids: number[],
  work: () => Promise<T>,
): Promise<{ result: T; peakRssMb: number; cpuPercent: number; peakTotalRssMb: number; processes: number }> {
  const snapshot = () => {
    const roots = new Map(pids.map((pid) => [pid, sample(pid)]));
    const children = new Map<number, Sample>();
    for (const pid of pids) {
      for (const child of descendants(pid)) {
        const s = sampleIfAlive(child);
        if (s) children.set(child, s);
      }
    }
    return { roots, children };
  };
  let peak = 0;
  let peakTotal = 0;
  let processes = 0;
  const record = ({ roots, children }: ReturnType<typeof snapshot>) => {
    const all = [...roots.values(), ...children.values()];
    peak = Math.max(peak, ...all.map((u) => u.rssMb));
    peakTotal = Math.max(peakTotal, all.reduce((sum, u) => sum + u.rssMb, 0));
    processes = Math.max(processes, all.length);
  };
  const before = snapshot();
  record(before);
  const timer = setInterval(() => {
    try {
      record(snapshot());
    } catch {
      // A root ended mid-run: the final snapshot reports it.
    }
  }, 200);
  const started = performance.now();
  try {
    const result = await work();
    const seconds = (performance.now() - started) / 1000;
    const after = snapshot();
    record(after);
    let cpu = 0;
    for (const [pid, u] of after.roots) {
      const b = before.roots.get(pid)!;
      cpu += u.cpuSeconds + u.reapedChildrenCpuSeconds - b.cpuSeconds - b.reapedChildrenCpuSeconds;
    }
    // Children alive now: what they used since the start (all of it if they started since).
    for (const [pid, u] of after.children) cpu += u.cpuSeconds - (before.children.get(pid)?.cpuSeconds ?? 0);
    // Children gone since: their whole life is in the parent's reaped time; the part before the start is not the run's.
    for (const [pid, b] of before.children) if (!after.children.has(pid)) cpu -= b.cpuSeconds;
    return { result, peakRssMb: peak, cpuPercent: (100 * cpu) / seconds, peakTotalRssMb: peakTotal, processes };
  } finally {
    clearInterval(timer);
  }
}
