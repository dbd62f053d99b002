/**
 * The throughput run: the bare baseline, the database ceiling, the same-stack baseline,
 * POST /send-mms, status webhooks and GET /messages/:id, each a warm-up then a timed autocannon
 * run; one table (CPU ms per request of whichever process answered), then the targets.
 * With --client-callbacks, then the client-callbacks scenarios (their own table and targets).
 */
import { cpus } from 'node:os';
import type { ScenarioResult } from '../load';
import { log, table, type Target } from '../report';
import { round } from '../stats';
import { baselineScenario } from './baseline';
import { clientCallbacksRun } from './client-callbacks';
import type { BenchContext, ModeOutcome } from './context';
import { databaseCeilingScenario, type DatabaseCeiling } from './database-ceiling';
import { getByIdScenario } from './get-by-id';
import { sendScenario } from './send';
import { webhookScenario } from './webhooks';

export async function throughputRun(ctx: BenchContext): Promise<ModeOutcome> {
  const { durationS, warmupS, connections } = ctx.options;
  log(
    `\nScenarios (${durationS} s each after a ${warmupS} s warm-up, ${connections} connections):`,
  );
  const baseline = await baselineScenario(ctx, 'bare');
  const ceiling = await databaseCeilingScenario(ctx);
  // Right before the gateway's send run: the two compared most closely run nearest in time.
  const lean = await baselineScenario(ctx, 'lean');
  const { result: send, created } = await sendScenario(ctx);
  const webhook = await webhookScenario(ctx, created);
  const get = await getByIdScenario(ctx, created);

  const results = [baseline, lean, send, webhook, get];
  for (const r of results)
    r.ratioToBaseline = baseline.rps > 0 ? round(r.rps / baseline.rps, 3) : undefined;
  printResults(results, baseline, send, ceiling);
  if (ctx.options.callbacks)
    send.notes.push(
      "--callbacks: the simulator's status callbacks landed on the gateway during this run, so its CPU per send includes them (not comparable with the baselines)",
    );
  const rssMax = Math.max(...[send, webhook, get].map((r) => r.processes.service?.rssMaxMb ?? 0));
  const targets = [
    ...sameStackTargets(lean, send, webhook, get),
    ...throughputTargets(connections, baseline, send, webhook, rssMax),
  ];
  const report = {
    sendComparison: sendComparison(baseline, lean, send),
    databaseCeiling: ceiling,
    scenarios: results,
  };
  if (!ctx.clientEndpoints) return { report, targets, sendRps: send.rps };
  const callbacks = await clientCallbacksRun(ctx, webhook, created.length);
  return {
    report: { ...report, ...callbacks.report },
    targets: [...targets, ...callbacks.targets],
    sendRps: send.rps,
  };
}

/** The three sends side by side, as the results file names them. */
function sendComparison(bare: ScenarioResult, lean: ScenarioResult, gateway: ScenarioResult) {
  const row = (r: ScenarioResult) => ({
    scenario: r.name,
    rps: r.rps,
    p99Ms: r.latencyMs.p99,
    cpuMsPerRequest: r.cpuMsPerRequest,
  });
  const ratio = (a?: number, b?: number) => (a !== undefined && b ? round(a / b, 2) : undefined);
  return {
    'bare baseline': row(bare),
    'same-stack baseline': row(lean),
    gateway: row(gateway),
    gatewayVsSameStack: {
      rps: ratio(gateway.rps, lean.rps),
      cpuPerSend: ratio(gateway.cpuMsPerRequest, lean.cpuMsPerRequest),
    },
    sameStackVsBare: {
      rps: ratio(lean.rps, bare.rps),
      cpuPerSend: ratio(lean.cpuMsPerRequest, bare.cpuMsPerRequest),
    },
  };
}

function printResults(
  results: ScenarioResult[],
  baseline: ScenarioResult,
  send: ScenarioResult,
  ceiling: DatabaseCeiling,
): void {
  /** The process a row is about: the baseline's own for its row, else the service. */
  const measured = (r: ScenarioResult) => r.processes[r.measured];
  log('');
  log(
    table(
      [
        'scenario',
        'service',
        'req/s',
        'p50 ms',
        'p99 ms',
        'non-2xx',
        'errors',
        'RSS max MB',
        'CPU %',
        'CPU ms/req',
        'db CPU %',
        'vs baseline',
      ],
      results.map((r) => [
        r.name,
        r.service,
        r.rps,
        r.latencyMs.p50,
        r.latencyMs.p99,
        r.non2xx,
        r.errors + r.timeouts,
        measured(r)?.rssMaxMb ?? '-',
        measured(r)?.cpuPercent ?? '-',
        r.cpuMsPerRequest ?? '-',
        r.processes.database?.cpuPercent ?? '-',
        r === baseline
          ? '1.000 (bound)'
          : `${(r.ratioToBaseline ?? 0).toFixed(3)} (${round((r.ratioToBaseline ?? 0) * 100)}%)`,
      ]),
    ),
  );
  log(
    `Database ceiling for the send path's writes: ${ceiling.opsPerS} insert+update pairs/s (p50 ${ceiling.p50} ms, p99 ${ceiling.p99} ms, ${ceiling.errors} errors; db CPU ${ceiling.processes.database?.cpuPercent ?? '-'}%): POST /send-mms reached ${ceiling.opsPerS ? round((100 * send.rps) / ceiling.opsPerS) : '-'}% of it`,
  );
  log(
    '(RSS and CPU: of the process that answered (the baselines in their rows, the gateway in the others); CPU % is of one core; CPU ms/req is its CPU time over the run / 2xx answered; the load generator and the simulator share the bench process:',
  );
  log(
    `  its CPU was ${results.map((r) => `${r.processes.bench.cpuPercent}%`).join(' / ')} in the ${results.length} scenarios;`,
  );
  log(
    `  other processes on the machine used ${results.map((r) => `${r.processes.others?.cpuPercent ?? '?'}%`).join(' / ')} of the ${cpus().length * 100}% available;`,
  );
  log(
    `  load average (1 min) at the end of each: ${results.map((r) => r.loadAverage).join(' / ')})`,
  );
  for (const r of results) for (const note of r.notes) log(`  ${r.name}: ${note}`);
}

/** Issue #23's targets: the gateway against the same stack done lean, in the same run. */
function sameStackTargets(
  lean: ScenarioResult,
  send: ScenarioResult,
  webhook: ScenarioResult,
  get: ScenarioResult,
): Target[] {
  const leanCpu = lean.cpuMsPerRequest;
  const cpuAtMost = (r: ScenarioResult, limit: number | undefined) =>
    r.cpuMsPerRequest !== undefined && limit !== undefined && r.cpuMsPerRequest <= limit;
  return [
    {
      target: 'POST /send-mms ≥ 0.8× the same-stack baseline req/s',
      measured: `${round(send.rps / (lean.rps || 1), 2)}× (${send.rps} vs ${lean.rps} req/s)`,
      pass: send.rps >= 0.8 * lean.rps,
    },
    {
      target: 'POST /send-mms CPU per send ≤ 1.25× the same-stack baseline',
      measured: `${leanCpu ? round((send.cpuMsPerRequest ?? 0) / leanCpu, 2) : '-'}× (${send.cpuMsPerRequest ?? '-'} vs ${leanCpu ?? '-'} ms)`,
      pass: cpuAtMost(send, leanCpu !== undefined ? 1.25 * leanCpu : undefined),
    },
    ...[webhook, get].map((r) => ({
      target: `${r.name} CPU per request ≤ the same-stack baseline's CPU per send`,
      measured: `${r.cpuMsPerRequest ?? '-'} vs ${leanCpu ?? '-'} ms`,
      pass: cpuAtMost(r, leanCpu),
    })),
  ];
}

function throughputTargets(
  connections: number,
  baseline: ScenarioResult,
  send: ScenarioResult,
  webhook: ScenarioResult,
  rssMax: number,
): Target[] {
  return [
    {
      target: `POST /send-mms ≥ 0.8× the bare baseline req/s at ${connections} connections`,
      measured: `${round(send.ratioToBaseline ?? 0, 3)}× (${send.rps} vs ${baseline.rps} req/s)`,
      pass: (send.ratioToBaseline ?? 0) >= 0.8 && connections >= 50,
    },
    {
      target: 'POST /send-mms without errors',
      measured: `${send.non2xx} non-2xx, ${send.errors + send.timeouts} errors`,
      pass: send.non2xx + send.errors + send.timeouts === 0,
    },
    {
      target: 'webhooks ≥ 2× POST /send-mms req/s',
      measured: `${round(webhook.rps / (send.rps || 1), 2)}× (${webhook.rps} vs ${send.rps} req/s)`,
      pass: webhook.rps >= 2 * send.rps,
    },
    {
      target: 'service RSS under load ≤ 200 MB',
      measured: `${rssMax} MB max`,
      pass: rssMax <= 200,
    },
  ];
}
