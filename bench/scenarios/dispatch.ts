/**
 * --dispatch, after the throughput run (issue #20): the gateway's own dispatch queue.
 * A template first: one `POST /send-mms` with a sendAt a day ahead, read back from MongoDB and
 * canceled, so every seeded message is exactly what the service writes. Then, each with its own
 * service start (the loaded one is stopped: it would dispatch too):
 * 1. drain: --dispatch-messages due at once, pacing off: the drain rate at the simulator vs
 *    the same run's POST /send-mms req/s;
 * 2. paced: PACING_ACCOUNT_MMS_PER_SECOND=--dispatch-paced-rate over --dispatch-paced-seconds
 *    (from 5 s after the first request: the start, every slot reserved at once, is told apart);
 * 3. waiting: RSS with --dispatch-waiting messages due in a day, production pacing.
 */
import type { BenchOptions } from '../cli';
import { readMessage, type Doc } from '../dispatch-queue';
import { PACING_OFF, type Database, type Simulator } from '../environment';
import { API_KEY, SEND_PATH, sendBody } from '../fixtures';
import { call, serviceMemory } from '../http';
import type { Service } from '../processes';
import { log, table, type Target } from '../report';
import type { ModeOutcome } from './context';
import { drainScenario, pacedScenario, type DrainResult, type PacedResult } from './dispatch-due';
import { waitingScenario, type WaitingResult } from './dispatch-waiting';

/** Allowed error of the paced run's mean rate (fraction of the cap). */
const PACED_TOLERANCE = 0.02;
const RSS_TARGET_MB = 200;

export interface DispatchContext {
  options: BenchOptions;
  database: Database;
  simulator: Simulator;
  /** The throughput run's POST /send-mms req/s (undefined: not measured). */
  sendRps?: number;
  /** Starts a service with the run's environment, `env` on top (undefined: left out). */
  start(env: Record<string, string | undefined>): Promise<Service>;
  memory(service: Service): ReturnType<typeof serviceMemory>;
}

/** One message scheduled through the API a day ahead, read back raw, then canceled. */
export async function scheduledTemplate(ctx: DispatchContext): Promise<Doc> {
  const service = await ctx.start(PACING_OFF);
  try {
    const headers = { 'content-type': 'application/json', 'x-api-key': API_KEY };
    const body = JSON.parse(sendBody(0)) as Record<string, unknown>;
    body.sendAt = new Date(Date.now() + 86_400_000).toISOString();
    const sent = await call(service.baseUrl, 'POST', SEND_PATH, headers, JSON.stringify(body));
    const { messageId, status } = JSON.parse(sent.body) as { messageId: string; status: string };
    if (sent.status !== 202 || status !== 'scheduled')
      throw new Error(`scheduling the template failed: ${sent.status} ${sent.body}`);
    const template = await readMessage(ctx.database.uri, messageId);
    const canceled = await call(service.baseUrl, 'POST', `/messages/${messageId}/cancel`, headers);
    if (canceled.status !== 200) throw new Error(`cancel: ${canceled.status} ${canceled.body}`);
    return template;
  } finally {
    await service.stop();
  }
}

export async function dispatchRun(ctx: DispatchContext): Promise<ModeOutcome> {
  log(
    `\nDispatch queue (a service started for each scenario; the throughput run's POST /send-mms: ${ctx.sendRps ?? '-'} req/s):`,
  );
  const template = await scheduledTemplate(ctx);
  log(`  template (scheduled through the API, then canceled): ${Object.keys(template).join(', ')}`);
  const drain = await drainScenario(ctx, template);
  const paced = await pacedScenario(ctx, template);
  const waiting = await waitingScenario(ctx, template);
  printTable(ctx, drain, paced, waiting);
  return {
    report: {
      dispatch: {
        templateFields: Object.keys(template),
        sendRps: ctx.sendRps,
        drain,
        paced,
        waiting,
      },
    },
    targets: dispatchTargets(ctx, drain, paced, waiting),
  };
}

function printTable(
  ctx: DispatchContext,
  drain: DrainResult,
  paced: PacedResult,
  waiting: WaitingResult,
): void {
  const one = paced.arrivals.windows.find((w) => w.seconds === 1);
  log('');
  log(
    table(
      [
        'dispatch',
        'messages',
        'Plivo req/s',
        'vs send',
        'gap min ms',
        'max in 1 s',
        'RSS max MB',
        'CPU %',
        'db CPU %',
        'others CPU %',
      ],
      [
        [
          'drain, pacing off',
          drain.plivoRequests,
          drain.arrivals.ratePerS,
          drain.ratioToSend ?? '-',
          drain.arrivals.gapMs.min,
          '-',
          drain.processes.service?.rssMaxMb ?? '-',
          drain.processes.service?.cpuPercent ?? '-',
          drain.processes.database?.cpuPercent ?? '-',
          drain.processes.others?.cpuPercent ?? '-',
        ],
        [
          `paced at ${paced.rate}/s, ${paced.windowS} s`,
          paced.arrivals.count,
          paced.arrivals.ratePerS,
          '-',
          paced.arrivals.gapMs.min,
          one?.max ?? '-',
          paced.processes.service?.rssMaxMb ?? '-',
          paced.processes.service?.cpuPercent ?? '-',
          paced.processes.database?.cpuPercent ?? '-',
          paced.processes.others?.cpuPercent ?? '-',
        ],
        ...(['idle', 'load'] as const).map((w) => [
          `${waiting.waiting.toLocaleString('en-US')} waiting, ${w === 'idle' ? 'idle' : 'with sends'}`,
          w === 'idle' ? 0 : waiting.load.requested,
          '-',
          '-',
          '-',
          '-',
          waiting[w].processes.service?.rssMaxMb ?? '-',
          waiting[w].processes.service?.cpuPercent ?? '-',
          waiting[w].processes.database?.cpuPercent ?? '-',
          waiting[w].processes.others?.cpuPercent ?? '-',
        ]),
      ],
    ),
  );
  log(
    `(drain: first to last Plivo request; the send run's ${ctx.sendRps ?? '-'} req/s is the reference; RSS and CPU of the service; CPU % of one core)`,
  );
}

function dispatchTargets(
  ctx: DispatchContext,
  drain: DrainResult,
  paced: PacedResult,
  waiting: WaitingResult,
): Target[] {
  const over = paced.arrivals.windows.filter((w) => w.max > paced.rate * w.seconds);
  const one = paced.arrivals.windows.find((w) => w.seconds === 1);
  return [
    {
      target: `dispatch drain (${drain.messages} due at once, pacing off) ≥ 1.0× POST /send-mms req/s`,
      measured: `${drain.ratioToSend ?? '-'}× (${drain.arrivals.ratePerS} vs ${ctx.sendRps ?? '-'}/s; ${drain.plivoRequests}/${drain.messages} sent)`,
      pass: drain.complete && (drain.ratioToSend ?? 0) >= 1,
    },
    {
      target: `paced at ${paced.rate}/s: mean within ${PACED_TOLERANCE * 100}% over ${paced.windowS} s (from ${paced.settle.seconds} s after the first)`,
      measured: `${paced.arrivals.ratePerS}/s (${paced.errorPct}%), ${paced.arrivals.count} requests`,
      pass: Math.abs(paced.errorPct) <= PACED_TOLERANCE * 100 && paced.complete,
    },
    {
      target: `paced at ${paced.rate}/s: never above (any window of ${paced.arrivals.windows.map((w) => w.seconds).join(', ')} s)`,
      measured: `max ${paced.arrivals.windows.map((w) => `${w.max}/${w.seconds} s`).join(', ')}; min gap ${paced.arrivals.gapMs.min} ms; ${(one?.max ?? 0) > paced.rate ? `${paced.rate + 1} within ${one?.shortestSpanMs} ms` : ''}`,
      pass: over.length === 0,
    },
    {
      target: `service RSS ≤ ${RSS_TARGET_MB} MB with ${waiting.waiting.toLocaleString('en-US')} scheduled messages waiting`,
      measured: `${waiting.rssMaxMb} MB max (${waiting.rssBeforeSeedMb} before seeding); ${waiting.seededStillWaiting} still waiting`,
      pass: waiting.rssMaxMb <= RSS_TARGET_MB && waiting.seededStillWaiting === waiting.waiting,
    },
  ];
}
