/**
 * Figures: rounding, latency percentiles, and the memory (VmRSS) and CPU time of processes,
 * read from /proc (Linux).
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

export const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits;

export interface OpStats {
  samples: number;
  errors: number;
  /** Answers other than the expected status: status (0 = no answer) and time taken. */
  failures?: { status: number; ms: number }[];
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

/** Nearest-rank percentiles, mean and max of some latencies (ms). */
export function stats(latencies: number[], errors: number): OpStats {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] : NaN;
  return {
    samples: sorted.length,
    errors,
    p50: round(at(0.5), 2),
    p99: round(at(0.99), 2),
    mean: round(sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1), 2),
    max: round(sorted[sorted.length - 1] ?? NaN, 2),
  };
}

/** Clock ticks per second of /proc's CPU times: Linux's USER_HZ. */
const CLK_TCK = 100;

export function procRssKb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function procCpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return undefined;
  }
}

/** Share of one core a process used between two readings of its CPU ticks. */
export function ticksToCores(ticks: number, seconds: number): number {
  return ticks / CLK_TCK / seconds;
}

/** Busy jiffies of the whole machine (all cores), from /proc/stat. */
function machineBusyTicks(): number | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const idle = fields[3] + (fields[4] ?? 0); // idle + iowait
    return fields.slice(0, 8).reduce((a, b) => a + b, 0) - idle;
  } catch {
    return undefined;
  }
}

export interface ProcStats {
  rssMaxMb?: number;
  rssEndMb?: number;
  /** Average CPU over the window, in % of one core. */
  cpuPercent?: number;
  /** CPU time (user + system) over the window, ms (10 ms resolution: USER_HZ). */
  cpuMs?: number;
}

/** Samples VmRSS (every 100 ms, max kept) and CPU time of some processes over a window. */
export class ProcSampler {
  private timer?: NodeJS.Timeout;
  private readonly maxRss = new Map<string, number>();
  private readonly lastRss = new Map<string, number>();
  private readonly startTicks = new Map<string, number>();
  private startedAt = 0;
  private benchCpu = process.cpuUsage();
  private machineStart?: number;

  constructor(private readonly pids: Record<string, number | undefined>) {}

  start(): void {
    this.startedAt = performance.now();
    this.benchCpu = process.cpuUsage();
    this.machineStart = machineBusyTicks();
    for (const [name, pid] of this.watched()) {
      const ticks = procCpuTicks(pid);
      if (ticks !== undefined) this.startTicks.set(name, ticks);
    }
    this.sample();
    this.timer = setInterval(() => this.sample(), 100);
  }

  stop(): Record<string, ProcStats> {
    clearInterval(this.timer);
    this.sample();
    const seconds = (performance.now() - this.startedAt) / 1000;
    const out: Record<string, ProcStats> = {};
    for (const [name, pid] of this.watched()) out[name] = this.processStats(name, pid, seconds);
    const bench = process.cpuUsage(this.benchCpu);
    out.bench = { cpuPercent: round(((bench.user + bench.system) / 1e6 / seconds) * 100) };
    const machineEnd = machineBusyTicks();
    if (machineEnd !== undefined && this.machineStart !== undefined) {
      const machine = round(ticksToCores(machineEnd - this.machineStart, seconds) * 100);
      const ours = Object.values(out).reduce((sum, p) => sum + (p.cpuPercent ?? 0), 0);
      out.machine = { cpuPercent: machine };
      // Everything else on the machine (other users' tests, the kernel): noise in these figures.
      out.others = { cpuPercent: Math.max(0, round(machine - ours)) };
    }
    return out;
  }

  private watched(): [string, number][] {
    return Object.entries(this.pids).filter((e): e is [string, number] => e[1] !== undefined);
  }

  private sample(): void {
    for (const [name, pid] of this.watched()) {
      const kb = procRssKb(pid);
      if (kb === undefined) continue;
      this.lastRss.set(name, kb);
      this.maxRss.set(name, Math.max(kb, this.maxRss.get(name) ?? 0));
    }
  }

  private processStats(name: string, pid: number, seconds: number): ProcStats {
    const ticks = procCpuTicks(pid);
    const start = this.startTicks.get(name);
    const mb = (kb: number | undefined) => (kb !== undefined ? round(kb / 1024) : undefined);
    return {
      rssMaxMb: mb(this.maxRss.get(name)),
      rssEndMb: mb(this.lastRss.get(name)),
      cpuPercent:
        ticks !== undefined && start !== undefined
          ? round(ticksToCores(ticks - start, seconds) * 100)
          : undefined,
      cpuMs:
        ticks !== undefined && start !== undefined ? ((ticks - start) * 1000) / CLK_TCK : undefined,
    };
  }
}
