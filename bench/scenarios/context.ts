import type { BenchOptions } from '../cli';
import type { ClientEndpoints, Database, Simulator } from '../environment';
import type { Service } from '../processes';
import type { Profiling } from '../profiling';
import type { Report, Target } from '../report';
import type { ProcSampler } from '../stats';

/** What every scenario works with: the loaded service and what it runs against. */
export interface BenchContext {
  options: BenchOptions;
  service: Service;
  database: Database;
  simulator: Simulator;
  /** The status callback receivers (--client-callbacks only). */
  clientEndpoints?: ClientEndpoints;
  workDir: string;
  /** The service's environment (the baselines take its log level and limits). */
  serviceEnv: Record<string, string>;
  /** The node flags of every start (the ConfigMap's NODE_OPTIONS…): the baselines get them too. */
  serviceNodeArgs: string[];
  /** --profile: the per-scenario CPU profiles. */
  profiling?: Profiling;
  /** A sampler of the service and the database (plus `extra` processes), not started. */
  sampler(extra?: Record<string, number | undefined>): ProcSampler;
  /** Waits until the service and the database are idle; resolves to the time waited (ms). */
  drain(): Promise<number>;
  /** The service's memory from its /metrics (MB). */
  memory(): Promise<Record<string, number> | undefined>;
}

/** What a mode (throughput or flat-cost) adds to the results file, and its targets. */
export interface ModeOutcome {
  report: Report;
  targets: Target[];
  /** The throughput run's POST /send-mms req/s (the dispatch drain's reference). */
  sendRps?: number;
}
