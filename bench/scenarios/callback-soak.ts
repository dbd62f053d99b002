/**
 * A dead client and a full outbox: --soak-messages messages seeded straight into MongoDB with
 * up to 3 pending events each for a port nobody listens on (connection refused), all due; then
 * --soak seconds of the worker claiming and retrying them while the service's RSS, V8 heap and
 * attempts are read every second. The claim: the events wait in MongoDB, not in the service's
 * memory, so RSS stays flat however many are pending.
 */
import { performance } from 'node:perf_hooks';
import { attemptTotal, callbackAttempts } from '../http';
import {
  deleteMessagesFor,
  outboxCounts,
  seedPendingCallbacks,
  timeClaimQuery,
  type OutboxCounts,
} from '../outbox';
import { sleep } from '../processes';
import { log } from '../report';
import { procRssKb, round, type ProcStats } from '../stats';
import type { BenchContext } from './context';

export interface SoakSample {
  s: number;
  rssMb?: number;
  heapUsedMb?: number;
  /** status_callback_events_total by outcome, since the service started. */
  attempts: Record<string, number>;
}

export interface SoakResult {
  seededMessages: number;
  seedS: number;
  rssBeforeSeedMb?: number;
  /** The first sample after seeding: the worker has been claiming since the first batch. */
  start: SoakSample;
  end: SoakSample;
  rssMaxMb?: number;
  rssMinMb?: number;
  /** Attempts made during the sampled window (all outcomes). */
  attemptsInWindow: number;
  outboxAtStart: OutboxCounts;
  outboxAtEnd: OutboxCounts;
  /** CPU of the service and the database over the sampled window. */
  processes: Record<string, ProcStats>;
  /** The read half of one claim on the full outbox, timed from the bench (ms, 5 times). */
  claimQueryMs: number[];
  samples: SoakSample[];
}

const mb = (kb: number | undefined) => (kb !== undefined ? round(kb / 1024) : undefined);

/** RSS from /proc; heap and the callback counters from the service's /metrics. */
async function sample(ctx: BenchContext, startedAt: number): Promise<SoakSample> {
  const rssMb = mb(procRssKb(ctx.service.child.pid!));
  const memory = await ctx.memory();
  return {
    s: round((performance.now() - startedAt) / 1000),
    rssMb,
    heapUsedMb: memory?.heapUsed,
    attempts: await callbackAttempts(ctx.service.baseUrl),
  };
}

export async function callbackSoakScenario(ctx: BenchContext): Promise<SoakResult> {
  const { soakMessages, soakS } = ctx.options;
  const { deadUrl } = ctx.clientEndpoints!;
  const { uri } = ctx.database;
  log(
    `  outbox soak: seeding ${soakMessages.toLocaleString('en-US')} messages with pending events for a dead client (${deadUrl}, connection refused)…`,
  );
  const rssBeforeSeedMb = mb(procRssKb(ctx.service.child.pid!));
  const seed = await seedPendingCallbacks(uri, soakMessages, deadUrl, () => undefined);
  const outboxAtStart = await outboxCounts(uri, deadUrl);
  log(
    `    seeded in ${round(seed.durationMs / 1000)} s: ${outboxAtStart.events} events (${outboxAtStart.pending} pending, ${outboxAtStart.attempts} attempts already made); sampling ${soakS} s…`,
  );
  const claimQueryMs = await timeClaimQuery(uri, 5);
  const sampler = ctx.sampler();
  sampler.start();
  const startedAt = performance.now();
  const samples: SoakSample[] = [await sample(ctx, startedAt)];
  while (performance.now() - startedAt < soakS * 1000) {
    await sleep(1000);
    samples.push(await sample(ctx, startedAt));
  }
  const processes = sampler.stop();
  const outboxAtEnd = await outboxCounts(uri, deadUrl);
  const start = samples[0];
  const end = samples[samples.length - 1];
  const rss = samples.map((s) => s.rssMb).filter((v): v is number => v !== undefined);
  const result: SoakResult = {
    seededMessages: soakMessages,
    seedS: round(seed.durationMs / 1000),
    rssBeforeSeedMb,
    start,
    end,
    rssMaxMb: rss.length ? Math.max(...rss) : undefined,
    rssMinMb: rss.length ? Math.min(...rss) : undefined,
    attemptsInWindow: attemptTotal(end.attempts) - attemptTotal(start.attempts),
    outboxAtStart,
    outboxAtEnd,
    processes,
    claimQueryMs,
    samples,
  };
  log(
    `    RSS ${start.rssMb} → ${end.rssMb} MB (min ${result.rssMinMb}, max ${result.rssMaxMb}; ${rssBeforeSeedMb} before seeding), heap used ${start.heapUsedMb} → ${end.heapUsedMb} MB; ${result.attemptsInWindow} attempts in ${end.s} s; pending events ${outboxAtStart.pending} → ${outboxAtEnd.pending}, attempts recorded on them ${outboxAtStart.attempts} → ${outboxAtEnd.attempts}`,
  );
  log(
    `    service CPU ${processes.service?.cpuPercent}%, database CPU ${processes.database?.cpuPercent}%, others ${processes.others?.cpuPercent}%; a claim's read on the full outbox took ${claimQueryMs.join(', ')} ms from the bench`,
  );
  // The bench's own data: removed so the worker goes idle and the service can be drained.
  await deleteMessagesFor(uri, deadUrl);
  return result;
}
