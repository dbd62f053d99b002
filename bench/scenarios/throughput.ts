/**
 * The throughput run: bare baseline, database ceiling, POST /send-mms, status webhooks and
 * GET /messages/:id, each a warm-up then a timed autocannon run; one table, then the targets.
 * With --client-callbacks, then the client-callbacks scenarios (their own table and targets).
 */
import { cpus } from 'node:os';
import type { ScenarioResult } from '../load';
import { log, table, type Target } from '../report';
import { round, type ProcStats } from '../stats';
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
  const baseline = await baselineScenario(ctx);
  const ceiling = await databaseCeilingScenario(ctx);
  const { result: send, created } = await sendScenario(ctx);
  const webhook = await webhookScenario(ctx, created);
  const get = await getByIdScenario(ctx, created);

  const results = [baseline, send, webhook, get];
  for (const r of results)
    r.ratioToBaseline = baseline.rps > 0 ? round(r.rps / baseline.rps, 3) : undefined;
  printResults(results, baseline, send, ceiling);
  const rssMax = Math.max(...[send, webhook, get].map((r) => r.processes.service?.rssMaxMb ?? 0));
  const targets = throughputTargets(connections, baseline, send, webhook, rssMax);
  const report = { databaseCeiling: ceiling, scenarios: results };
  if (!ctx.clientEndpoints) return { report, targets, sendRps: send.rps };
  const callbacks = await clientCallbacksRun(ctx, webhook, created.length);
  return {
    report: { ...report, ...callbacks.report },
    targets: [...targets, ...callbacks.targets],
    sendRps: send.rps,
  };
}

/** CPU time the measured process (service, or the baseline) spent per 2xx answer. */
function cpuMsPerRequest(r: ScenarioResult, proc: ProcStats | undefined): number | string {
  const cpu = proc?.cpuPercent;
  if (cpu === undefined || r.ok2xx === 0) return '-';
  return round(((cpu / 100) * r.durationS * 1000) / r.ok2xx, 2);
}

function printResults(
  results: ScenarioResult[],
  baseline: ScenarioResult,
  send: ScenarioResult,
  ceiling: DatabaseCeiling,
): void {
  /** The process a row is about: the baseline's own for its row, else the service. */
  const measured = (r: ScenarioResult) =>
    r === baseline ? r.processes.baseline : r.processes.service;
  log('');
  log(
    table(
      [
        'scenario',
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
        r.rps,
        r.latencyMs.p50,
        r.latencyMs.p99,
        r.non2xx,
        r.errors + r.timeouts,
        measured(r)?.rssMaxMb ?? '-',
        measured(r)?.cpuPercent ?? '-',
        cpuMsPerRequest(r, measured(r)),
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
    '(RSS and CPU: of the baseline process in its row, of the service in the others; CPU % is of one core; the load generator and the simulator share the bench process:',
  );
  log(
    `  its CPU was ${results.map((r) => `${r.processes.bench.cpuPercent}%`).join(' / ')} in the four scenarios;`,
  );
  log(
    `  other processes on the machine used ${results.map((r) => `${r.processes.others?.cpuPercent ?? '?'}%`).join(' / ')} of the ${cpus().length * 100}% available)`,
  );
  for (const r of results) for (const note of r.notes) log(`  ${r.name}: ${note}`);
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
