/**
 * Load generation with autocannon: one scenario is a warm-up, a drain, then the measured run
 * with its processes sampled, then a drain again (so the next scenario starts clean).
 */
import autocannon from 'autocannon';
import { loadavg } from 'node:os';
import type { BenchOptions } from './cli';
import type { PreparedRequest } from './callbacks';
import type { ProfileSummary } from './profile-summary';
import type { ScenarioProfiler } from './profiling';
import { log } from './report';
import { round, type ProcSampler, type ProcStats } from './stats';

export type AutocannonRequest = NonNullable<autocannon.Options['requests']>[number];

export interface ScenarioResult {
  name: string;
  /** Who answered: the gateway, the bare baseline or the same-stack baseline. */
  service: ServiceName;
  /** The key in `processes` of the process that answered (its CPU is `cpuMsPerRequest`). */
  measured: string;
  durationS: number;
  requests: number;
  ok2xx: number;
  /** 2xx answers per second: the throughput that counts. */
  rps: number;
  latencyMs: { p50: number; p90: number; p99: number; mean: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  processes: Record<string, ProcStats>;
  /** The machine's 1-minute load average at the end of the measured window (2 cores here). */
  loadAverage?: number;
  /** CPU time of the answering process over the measured window, ms. */
  cpuMs?: number;
  /** cpuMs / 2xx answered: what one request costs the process that answered it. */
  cpuMsPerRequest?: number;
  /** --profile: the summary of the answering process's CPU profile over the measured window. */
  profile?: ProfileSummary;
  /** From the service's /metrics right after the run (before draining). */
  memoryAfter?: Record<string, number>;
  notes: string[];
  ratioToBaseline?: number;
}

export type ServiceName = 'gateway' | 'bare baseline' | 'same-stack baseline';

export interface Scenario {
  name: string;
  url: string;
  /** Who answers (default: the gateway), and its key in the sampler's processes ('service'). */
  service?: ServiceName;
  measured?: string;
  /** --profile: the answering process's CPU profile over the measured window. */
  profiler?: ScenarioProfiler;
  /** A fresh request (and its counters) for the warm-up, then for the measured run. */
  makeRequest: () => AutocannonRequest;
  sampler: () => ProcSampler;
  /** Waits until the measured processes are idle; resolves to the time waited (ms). */
  drain: () => Promise<number>;
  notes?: () => string[];
  memoryOf?: () => Promise<Record<string, number> | undefined>;
}

function autocannonRun(
  options: BenchOptions,
  url: string,
  durationS: number,
  req: AutocannonRequest,
): Promise<autocannon.Result> {
  return autocannon({
    url,
    connections: options.connections,
    duration: durationS,
    timeout: 20,
    requests: [req],
  });
}

export async function runScenario(
  options: BenchOptions,
  scenario: Scenario,
): Promise<ScenarioResult> {
  const { name, url, makeRequest, drain } = scenario;
  process.stdout.write(
    `  ${name}: warm-up ${options.warmupS} s, then ${options.durationS} s at ${options.connections} connections… `,
  );
  if (options.warmupS > 0) {
    await autocannonRun(options, url, options.warmupS, makeRequest());
    await drain();
  }
  await scenario.profiler?.start();
  const sampler = scenario.sampler();
  sampler.start();
  const r = await autocannonRun(options, url, options.durationS, makeRequest());
  const processes = sampler.stop();
  const loadAverage = round(loadavg()[0], 2);
  const profile = await scenario.profiler?.stop();
  const memoryAfter = scenario.memoryOf ? await scenario.memoryOf() : undefined;
  const drainMs = await drain();
  const result = scenarioResult(name, r, processes, memoryAfter, scenario.notes?.() ?? []);
  result.service = scenario.service ?? 'gateway';
  result.measured = scenario.measured ?? 'service';
  result.cpuMs = processes[result.measured]?.cpuMs;
  result.cpuMsPerRequest =
    result.cpuMs !== undefined && result.ok2xx > 0
      ? round(result.cpuMs / result.ok2xx, 2)
      : undefined;
  result.profile = profile;
  result.loadAverage = loadAverage;
  if (drainMs > 1000)
    result.notes.push(
      `the requests abandoned at the end took ${round(drainMs / 1000)} s more to finish`,
    );
  log(
    `${result.rps} req/s, p99 ${result.latencyMs.p99} ms, ${result.cpuMsPerRequest ?? '-'} CPU ms/req`,
  );
  return result;
}

function scenarioResult(
  name: string,
  r: autocannon.Result,
  processes: Record<string, ProcStats>,
  memoryAfter: Record<string, number> | undefined,
  notes: string[],
): ScenarioResult {
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(r.statusCodeStats ?? {}))
    statusCodes[code] = (stat as { count: number }).count;
  if (memoryAfter)
    notes.push(
      `service memory at the end: RSS ${memoryAfter.rss} MB = V8 heap ${memoryAfter.heapTotal} MB (used ${memoryAfter.heapUsed}) + external ${memoryAfter.external} MB + code, stacks, native`,
    );
  return {
    name,
    service: 'gateway',
    measured: 'service',
    durationS: r.duration,
    requests: r.requests.total,
    ok2xx: r['2xx'],
    rps: round(r['2xx'] / r.duration),
    latencyMs: {
      p50: r.latency.p50,
      p90: r.latency.p90,
      p99: r.latency.p99,
      mean: round(r.latency.mean, 2),
      max: r.latency.max,
    },
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCodes,
    processes,
    memoryAfter,
    notes,
  };
}

/** Counts the `result` field of JSON answers (the webhook's applied/recorded/duplicate…). */
function countResults(results: Record<string, number>) {
  return (status: number, body: string) => {
    let result = `HTTP ${status}`;
    try {
      result = (JSON.parse(body) as { result?: string }).result ?? result;
    } catch {
      // not JSON: counted by its status
    }
    results[result] = (results[result] ?? 0) + 1;
  };
}

/** Requests that go through `items` in turn, on a counter shared by the warm-up and the run. */
export function rotatingRequest(
  items: PreparedRequest[],
  method: 'GET' | 'POST',
  counter: { n: number },
  results?: Record<string, number>,
): AutocannonRequest {
  return {
    method,
    ...(results ? { onResponse: countResults(results) } : {}),
    setupRequest: (req) => {
      const item = items[counter.n++ % items.length];
      return {
        ...req,
        method,
        path: item.path,
        headers: item.headers,
        ...(item.body !== undefined ? { body: item.body } : {}),
      };
    },
  };
}
