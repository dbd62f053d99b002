/**
 * Memory with a large queue: --dispatch-waiting copies of the template seeded `scheduled` and
 * due in a day, under a service with production's pacing (0.25 MMS/s, 5 SMS/s). Then an idle
 * window (what the dispatchers cost with nothing due: one claim per poll that finds nothing,
 * and the backlog gauge's refresh every 5 s) and a window of sends (production pacing: most are
 * scheduled for their slot). The claim: the queue is in MongoDB, not in the service's memory.
 */
import autocannon from 'autocannon';
import { performance } from 'node:perf_hooks';
import {
  clearQueue,
  queueCounts,
  seedScheduled,
  timeIdleReads,
  type Doc,
  type IdleReads,
} from '../dispatch-queue';
import { API_KEY, SEND_PATH, sendBody } from '../fixtures';
import { sleep, type Service } from '../processes';
import { log } from '../report';
import { ProcSampler, procRssKb, round, type ProcStats } from '../stats';
import type { DispatchContext } from './dispatch';

/** Seconds without load first (the idle cost), then the sends' rate and connections. */
const IDLE_S = 10;
const LOAD = { overallRate: 20, connections: 5 };
const DAY_MS = 86_400_000;

interface Window {
  seconds: number;
  processes: Record<string, ProcStats>;
  rssMb: number[];
  heapUsedMb?: number;
}

export interface WaitingResult {
  waiting: number;
  seedMs: number;
  rssBeforeSeedMb?: number;
  idle: Window;
  load: Window & { sends: Record<string, number>; requested: number };
  idleReads: IdleReads;
  /** The service's RSS max over both windows (100 ms samples). */
  rssMaxMb: number;
  /** Seeded messages still scheduled for tomorrow at the end (none was touched). */
  seededStillWaiting: number;
  statusAfter: Record<string, number>;
}

const mb = (kb: number | undefined) => (kb !== undefined ? round(kb / 1024) : undefined);

/** Samples the service's RSS every second for `seconds`, with a ProcSampler over the window. */
async function sampleWindow(
  ctx: DispatchContext,
  service: Service,
  seconds: number,
  during: Promise<unknown> = Promise.resolve(),
): Promise<Window> {
  const sampler = new ProcSampler({ service: service.child.pid, database: ctx.database.pid });
  sampler.start();
  const started = performance.now();
  const rssMb: number[] = [];
  while (performance.now() - started < seconds * 1000) {
    const rss = mb(procRssKb(service.child.pid!));
    if (rss !== undefined) rssMb.push(rss);
    await sleep(1000);
  }
  await during;
  const processes = sampler.stop();
  return {
    seconds: round((performance.now() - started) / 1000),
    processes,
    rssMb,
    heapUsedMb: (await ctx.memory(service))?.heapUsed,
  };
}

/** POST /send-mms at a steady rate, tallying the answers' status (queued, scheduled…) or HTTP code. */
async function sendLoad(service: Service, seconds: number) {
  const sends: Record<string, number> = {};
  let n = 0;
  const result = await autocannon({
    url: service.baseUrl,
    ...LOAD,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: SEND_PATH,
        headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
        setupRequest: (req) => ({ ...req, body: sendBody(n++) }),
        onResponse: (status, body) => {
          let key = String(status);
          try {
            key = (JSON.parse(body) as { status?: string }).status ?? key;
          } catch {
            // not JSON: the HTTP status stands
          }
          sends[key] = (sends[key] ?? 0) + 1;
        },
      },
    ],
  });
  return { sends, requested: result.requests.total, errors: result.errors + result.timeouts };
}

export async function waitingScenario(ctx: DispatchContext, template: Doc): Promise<WaitingResult> {
  const { dispatchWaiting: waiting, dispatchWaitingSeconds: loadS } = ctx.options;
  log(
    `  waiting: ${waiting.toLocaleString('en-US')} scheduled messages due in a day, production pacing (no PACING_* set); ${IDLE_S} s idle, then ${loadS} s of sends (${LOAD.overallRate}/s, ${LOAD.connections} connections)…`,
  );
  await clearQueue(ctx.database.uri);
  const service = await ctx.start({
    PACING_ACCOUNT_MMS_PER_SECOND: undefined,
    PACING_ACCOUNT_SMS_PER_SECOND: undefined,
  });
  try {
    const rssBeforeSeedMb = mb(procRssKb(service.child.pid!));
    const dueAt = new Date(Date.now() + DAY_MS);
    const seedMs = await seedScheduled(ctx.database.uri, template, waiting, dueAt, log);
    log(`    seeded in ${round(seedMs / 1000)} s (the service running); idle window…`);
    const idle = await sampleWindow(ctx, service, IDLE_S);
    const idleReads = await timeIdleReads(ctx.database.uri, 250);
    const load = sendLoad(service, loadS);
    const loaded = await sampleWindow(ctx, service, loadS, load);
    const { sends, requested } = await load;
    const counts = await queueCounts(ctx.database.uri);
    const seededStillWaiting = await countDueFrom(ctx, dueAt);
    const rssMaxMb = Math.max(
      idle.processes.service?.rssMaxMb ?? 0,
      loaded.processes.service?.rssMaxMb ?? 0,
    );
    const result: WaitingResult = {
      waiting,
      seedMs,
      rssBeforeSeedMb,
      idle,
      load: { ...loaded, sends, requested },
      idleReads,
      rssMaxMb,
      seededStillWaiting,
      statusAfter: counts.byStatus,
    };
    log(
      `    RSS ${rssBeforeSeedMb} MB before seeding; idle ${idle.rssMb[0]} → ${idle.rssMb[idle.rssMb.length - 1]} MB (service CPU ${idle.processes.service?.cpuPercent}%, db CPU ${idle.processes.database?.cpuPercent}%, others ${idle.processes.others?.cpuPercent}%); with sends ${loaded.rssMb[0]} → ${loaded.rssMb[loaded.rssMb.length - 1]} MB (service CPU ${loaded.processes.service?.cpuPercent}%, db ${loaded.processes.database?.cpuPercent}%); max ${rssMaxMb} MB; heap used ${loaded.heapUsedMb} MB`,
    );
    log(
      `    sends: ${JSON.stringify(sends)}; seeded still waiting ${seededStillWaiting} of ${waiting}; idle reads from the bench: claim ${idleReads.claimMs.join(', ')} ms (${idleReads.claimPlan.stage}: ${idleReads.claimPlan.keysExamined} keys, ${idleReads.claimPlan.docsExamined} docs examined), backlog gauge aggregate ${idleReads.backlogAggregateMs.join(', ')} ms + first due ${idleReads.backlogFirstDueMs.join(', ')} ms`,
    );
    return result;
  } finally {
    await service.stop();
  }
}

/** Held messages due at or after `dueAt` (the seeded ones: nothing else is due that late). */
async function countDueFrom(ctx: DispatchContext, dueAt: Date): Promise<number> {
  const counts = await queueCounts(ctx.database.uri, { dispatchDueAt: { $gte: dueAt } });
  return counts.held;
}
