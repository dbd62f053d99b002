/**
 * A backlog due at once: N copies of the template seeded `scheduled` and due now while no
 * service runs, then a service started and its Plivo requests watched at the simulator.
 * 1. Drain, pacing off: how fast the dispatchers empty the queue (vs the same run's sends).
 * 2. Paced: the rate at the simulator over a window against the account's cap.
 */
import { performance } from 'node:perf_hooks';
import { arrivalStats, type ArrivalStats } from '../arrivals';
import { clearQueue, queueCounts, seedScheduled, type Doc } from '../dispatch-queue';
import { PACING_OFF } from '../environment';
import { sleep, type Service } from '../processes';
import { log } from '../report';
import { ProcSampler, round, type ProcStats } from '../stats';
import type { DispatchContext } from './dispatch';

/** Windows (s) the paced run's busiest counts are taken over (and its whole window). */
const PACED_WINDOWS_S = [1, 2, 5, 10];
/**
 * Seconds after the first Plivo request before the paced window opens: at the start the lanes
 * reserve a slot for every message of the backlog and put it back (one reservation and one
 * release each), and on a busy machine those writes delay the first hand-overs.
 */
const SETTLE_S = 5;

export interface DueRun {
  messages: number;
  seedMs: number;
  serviceReadyMs: number;
  /** Plivo message requests seen, and from the service's spawn to the first one (ms). */
  plivoRequests: number;
  firstRequestAfterSpawnMs?: number;
  /** Until all were sent or the cap: whether the watch ended because it was complete. */
  complete: boolean;
  processes: Record<string, ProcStats>;
  statusAfter: Record<string, number>;
  heldAfter: number;
}

export interface DrainResult extends DueRun {
  arrivals: ArrivalStats;
  /** Drain rate / the throughput run's POST /send-mms req/s. */
  ratioToSend?: number;
}

export interface PacedResult extends DueRun {
  rate: number;
  windowS: number;
  /** The arrivals within [first + SETTLE_S, first + SETTLE_S + windowS]. */
  arrivals: ArrivalStats;
  errorPct: number;
  /** The first SETTLE_S seconds: how many arrived, and their longest gap (ms). */
  settle: { seconds: number; requests: number; longestGapMs: number };
  /** Every arrival, ms after the first. */
  offsetsMs: number[];
}

/** The simulator's accepted Send Message requests: arrival times (ms since epoch). */
function messageArrivals(ctx: DispatchContext): number[] {
  return ctx.simulator
    .requests()
    .filter(
      (r) =>
        r.method === 'POST' &&
        /\/Message\/?(\?|$)/.test(r.path) &&
        typeof r.response === 'object' &&
        r.response.status === 202,
    )
    .map((r) => r.at.getTime());
}

/**
 * Seeds `count` due now, starts a service with `env`, and watches the simulator until `done`
 * says so (checked every 100 ms) or `capMs` passes; the service is stopped after.
 */
async function dueNow(
  ctx: DispatchContext,
  template: Doc,
  count: number,
  env: Record<string, string | undefined>,
  done: (arrivals: number[], watchedMs: number) => boolean,
  capMs: number,
): Promise<{ run: DueRun; arrivals: number[] }> {
  await clearQueue(ctx.database.uri);
  const seedMs = await seedScheduled(ctx.database.uri, template, count, new Date(), log);
  ctx.simulator.reset();
  const spawnedAt = Date.now();
  let service: Service | undefined;
  try {
    service = await ctx.start(env);
    const sampler = new ProcSampler({
      service: service.child.pid,
      database: ctx.database.pid,
    });
    sampler.start();
    const started = performance.now();
    let complete = false;
    for (;;) {
      const watched = performance.now() - started;
      if (done(messageArrivals(ctx), watched)) {
        complete = true;
        break;
      }
      if (watched > capMs) break;
      await sleep(100);
    }
    const processes = sampler.stop();
    const arrivals = messageArrivals(ctx);
    const counts = await queueCounts(ctx.database.uri);
    return {
      arrivals,
      run: {
        messages: count,
        seedMs,
        serviceReadyMs: service.startup.readyMs,
        plivoRequests: arrivals.length,
        firstRequestAfterSpawnMs: arrivals.length ? arrivals[0] - spawnedAt : undefined,
        complete,
        processes,
        statusAfter: counts.byStatus,
        heldAfter: counts.held,
      },
    };
  } finally {
    await service?.stop();
  }
}

export async function drainScenario(ctx: DispatchContext, template: Doc): Promise<DrainResult> {
  const count = ctx.options.dispatchMessages;
  log(
    `  drain: ${count.toLocaleString('en-US')} scheduled messages due now, pacing off (DISPATCH_CONCURRENCY default 10)…`,
  );
  const { run, arrivals } = await dueNow(
    ctx,
    template,
    count,
    PACING_OFF,
    (a) => a.length >= count,
    // Even at 20 messages/s: a cap, not an expectation.
    Math.max(120_000, (count / 20) * 1000),
  );
  const stats = arrivalStats(arrivals, 0, []);
  const ratioToSend = ctx.sendRps ? round(stats.ratePerS / ctx.sendRps, 3) : undefined;
  log(
    `    seeded in ${round(run.seedMs / 1000)} s; ${run.plivoRequests} Plivo requests in ${stats.spanS} s (first ${run.firstRequestAfterSpawnMs} ms after spawn): ${stats.ratePerS} msg/s = ${ratioToSend ?? '-'}× the send run's ${ctx.sendRps ?? '-'} req/s; service CPU ${run.processes.service?.cpuPercent}%, RSS max ${run.processes.service?.rssMaxMb} MB, db CPU ${run.processes.database?.cpuPercent}%, others ${run.processes.others?.cpuPercent}%`,
  );
  return { ...run, arrivals: stats, ratioToSend };
}

export async function pacedScenario(ctx: DispatchContext, template: Doc): Promise<PacedResult> {
  const rate = ctx.options.dispatchPacedRate;
  const windowS = ctx.options.dispatchPacedSeconds;
  // Enough for the settling, the window and 10 s more: the queue never runs dry inside it.
  const count = Math.ceil(rate * (SETTLE_S + windowS + 10));
  log(
    `  paced: ${count} scheduled messages due now, PACING_ACCOUNT_MMS_PER_SECOND=${rate}, watched ${windowS} s from ${SETTLE_S} s after the first Plivo request…`,
  );
  const { run, arrivals } = await dueNow(
    ctx,
    template,
    count,
    { PACING_ACCOUNT_MMS_PER_SECOND: String(rate), PACING_ACCOUNT_SMS_PER_SECOND: '0' },
    (a) => a.length > 0 && Date.now() > a[0] + (SETTLE_S + windowS) * 1000 + 500,
    (SETTLE_S + windowS) * 1000 + 60_000,
  );
  const first = arrivals[0] ?? 0;
  const early = arrivals.filter((t) => t < first + SETTLE_S * 1000);
  const opens = arrivals[early.length] ?? first;
  const inWindow = arrivals.filter((t) => t >= opens && t <= opens + windowS * 1000);
  const settle = {
    seconds: SETTLE_S,
    requests: early.length,
    longestGapMs: Math.max(0, ...early.slice(1).map((t, i) => t - early[i])),
  };
  const stats = arrivalStats(inWindow, rate, [...PACED_WINDOWS_S, windowS]);
  const errorPct = round((100 * (stats.ratePerS - rate)) / rate, 2);
  log(
    `    first ${SETTLE_S} s: ${settle.requests} requests (longest gap ${settle.longestGapMs} ms); then ${stats.count} Plivo requests in ${stats.spanS} s: ${stats.ratePerS}/s (${errorPct >= 0 ? '+' : ''}${errorPct}%); gaps min ${stats.gapMs.min} ms, p1 ${stats.gapMs.p1}, p50 ${stats.gapMs.p50}, max ${stats.gapMs.max}, ${stats.longGaps} over 1.5 intervals (a slot unused); busiest windows ${stats.windows.map((w) => `${w.seconds} s: ${w.max} (${rate * w.seconds} allowed; ${Math.floor(rate * w.seconds) + 1} consecutive spanned ≥ ${w.shortestSpanMs} ms)`).join(', ')}`,
  );
  const offsetsMs = arrivals.map((t) => t - first);
  return { ...run, rate, windowS, arrivals: stats, errorPct, settle, offsetsMs };
}
