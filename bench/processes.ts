import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');

export interface ServerProcess {
  url: string;
  origin: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** The real server, as `npm start` runs it (the compiled build), in a process of its own. */
export async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  // BENCH_CPU_PROF=dir writes a V8 CPU profile of each server there when it stops.
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...profile, 'dist/src/main.js'], {
    cwd: root,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // BENCH_SERVER_LOG=file appends the servers' JSON log lines there.
  const logFile = process.env.BENCH_SERVER_LOG;
  if (logFile) child.stdout!.on('data', (chunk: Buffer) => appendFileSync(logFile, chunk));
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (const line of buffered.split('\n')) {
        if (line.includes('"url"')) resolve(JSON.parse(line).url as string);
      }
      buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return {
    url,
    origin: new URL(url).origin,
    pid: child.pid!,
    child,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** RSS (MB) and CPU time (s) of a process, from /proc. */
export function usage(pid: number): { rssMb: number; cpuSeconds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(stat[11]) + Number(stat[12]); // utime + stime
  return { rssMb: rssKb / 1024, cpuSeconds: ticks / 100 };
}

/** Samples a process while `work` runs: peak RSS, and CPU as a share of one core. */
export async function measure<T>(pids: number[], work: () => Promise<T>): Promise<{ result: T; peakRssMb: number; cpuPercent: number }> {
  const before = pids.map((pid) => usage(pid));
  let peak = Math.max(...before.map((u) => u.rssMb));
  const timer = setInterval(() => {
    for (const pid of pids) peak = Math.max(peak, usage(pid).rssMb);
  }, 200);
  const started = performance.now();
  try {
    const result = await work();
    const seconds = (performance.now() - started) / 1000;
    const after = pids.map((pid) => usage(pid));
    const cpu = after.reduce((sum, u, i) => sum + u.cpuSeconds - before[i].cpuSeconds, 0);
    return { result, peakRssMb: Math.max(peak, ...after.map((u) => u.rssMb)), cpuPercent: (100 * cpu) / seconds };
  } finally {
    clearInterval(timer);
  }
}
