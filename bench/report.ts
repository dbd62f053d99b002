/**
 * What a run prints (markdown tables) and writes: bench/results/<time>[-flat-<N>].json.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import type { BenchOptions } from './cli';
import { RESULTS_DIR } from './fixtures';

export const log = (line = ''): void => console.log(line);

export interface Target {
  target: string;
  measured: string;
  pass: boolean;
}

/** The results file, filled in as the run goes (its keys in this order). */
export type Report = Record<string, unknown>;

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  const line = (r: string[]) =>
    `| ${r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join(' | ')} |`;
  return [
    line(cells[0]),
    `|${widths.map((w, c) => (c === 0 ? ':' : '-') + '-'.repeat(w) + (c === 0 ? '-' : ':')).join('|')}|`,
    ...cells.slice(1).map(line),
  ].join('\n');
}

export function printMachine(): void {
  log(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);
  log(
    `Load average before the run: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (other processes on this machine skew every figure)`,
  );
}

export interface RunSetup {
  startedAt: Date;
  options: BenchOptions;
  database: { kind: string; startMs: number };
  serviceEnv: Record<string, string>;
  serviceNodeArgs: string[];
  startups: { portOpenMs: number; readyMs: number }[];
}

/** The start of the results file: the machine, the configuration, the service's start times. */
export function reportHeader(setup: RunSetup): Report {
  const { options } = setup;
  return {
    startedAt: setup.startedAt.toISOString(),
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model,
      node: process.version,
      platform: process.platform,
    },
    config: {
      durationS: options.durationS,
      warmupS: options.warmupS,
      connections: options.connections,
      plivoLatencyMs: options.plivoLatencyMs,
      callbacks: options.callbacks,
      database: setup.database.kind,
      profiled: options.profile,
      serviceNodeArgs: setup.serviceNodeArgs,
      serviceEnv: {
        ...setup.serviceEnv,
        API_KEYS: '[redacted]',
        PLIVO_AUTH_TOKEN: '[redacted]',
        ...(setup.serviceEnv.STATUS_CALLBACK_SECRET
          ? { STATUS_CALLBACK_SECRET: '[redacted]' }
          : {}),
      },
    },
    loadAverageBefore: loadavg(),
    startup: {
      runs: setup.startups,
      worstReadyMs: worstStartup(setup.startups),
      databaseStartMs: setup.database.startMs,
    },
  };
}

export const worstStartup = (startups: { readyMs: number }[]): number =>
  Math.max(...startups.map((s) => s.readyMs));

export function startupTarget(startups: { readyMs: number }[]): Target {
  const worst = worstStartup(startups);
  return {
    target: 'start → ready ≤ 2000 ms (database start excluded)',
    measured: `${worst} ms worst of 3 (${startups.map((x) => x.readyMs).join(', ')})`,
    pass: worst <= 2000,
  };
}

export function printTargets(targets: Target[], profiled: boolean): void {
  log('');
  log(
    table(
      ['target', 'measured', 'result'],
      targets.map((t) => [t.target, t.measured, t.pass ? 'PASS' : 'FAIL']),
    ),
  );
  if (profiled) log("(profiled run: the numbers include the profiler's overhead)");
}

export function writeResults(report: Report, stamp: string, options: BenchOptions): void {
  const out = join(RESULTS_DIR, `${stamp}${options.flat ? `-flat-${options.seedCount}` : ''}.json`);
  writeFileSync(out, JSON.stringify(report, null, 2));
  log(`\nResults: ${out}`);
}
