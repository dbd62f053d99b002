/**
 * --client-callbacks, after the throughput run (issue #14's two measured claims):
 * 1. Plivo's status webhooks while a client's endpoint stalls: messages sent with a
 *    statusCallbackUrl whose receiver holds every answer past STATUS_CALLBACK_TIMEOUT_MS, so the
 *    worker runs at full concurrency and events pile up; then the webhook scenario on those
 *    messages, compared with the same scenario run just before on as many messages sent
 *    without a callback URL (the worker idle). Then the client recovers and the backlog must
 *    all arrive (no event lost).
 * 2. The outbox soak (callback-soak.ts): RSS while many events wait for a dead client.
 */
import autocannon from 'autocannon';
import { performance } from 'node:perf_hooks';
import { CALLBACK_TIMINGS } from '../environment';
import type { Created } from '../fixtures';
import { attemptTotal, callbackAttempts } from '../http';
import type { ScenarioResult } from '../load';
import { outboxCounts, type OutboxCounts } from '../outbox';
import { sleep } from '../processes';
import { log, table, type Target } from '../report';
import { round } from '../stats';
import { callbackSoakScenario, type SoakResult } from './callback-soak';
import type { BenchContext, ModeOutcome } from './context';
import { sendRequest } from './send';
import { webhookScenario } from './webhooks';

/** How long the stalled receiver holds an answer: well past the service's timeout. */
const STALL_MS = CALLBACK_TIMINGS.timeoutMs * 5;
/** Messages sent with the stalled client's URL when the send run made fewer. */
const MIN_MESSAGES = 300;
/** Allowed p99 of the webhooks with a stalled client, as a multiple of the figure without. */
const P99_RATIO_TARGET = 1.5;
/** Allowed RSS growth over the soak (end vs its first sample). */
const RSS_GROWTH_TARGET = 0.1;

interface Recovery {
  /** From the receiver answering 200 again to no message left due (or the 60 s cap). */
  seconds: number;
  outbox: OutboxCounts;
  /** Distinct event ids the receiver answered 2xx to, and how many had a valid signature. */
  acceptedDistinct: number;
  signatureInvalid: number;
}

export async function clientCallbacksRun(
  ctx: BenchContext,
  throughputWebhooks: ScenarioResult,
  sendCreated: number,
): Promise<ModeOutcome> {
  const { receiver, receiverUrl } = ctx.clientEndpoints!;
  const url = `${receiverUrl}/hooks/stalled`;
  const count = ctx.options.callbackMessages ?? Math.max(sendCreated, MIN_MESSAGES);
  log(
    `\nClient callbacks (timeout ${CALLBACK_TIMINGS.timeoutMs} ms, retry base ${CALLBACK_TIMINGS.retryBaseMs} ms, poll ${CALLBACK_TIMINGS.pollMs} ms, concurrency 10):`,
  );
  // Without callbacks, just before: same number of messages, same collection, same moment's
  // machine load (the throughput run's figure is kept for reference).
  const plain = await sendMessages(ctx, count);
  await ctx.drain();
  const without = await webhookScenario(
    ctx,
    plain.created,
    'POST /webhooks/plivo/status, no callbacks',
  );
  receiver.delay(STALL_MS);
  const sent = await sendMessages(ctx, count, url);
  await ctx.drain();
  const beforeWebhooks = await outboxCounts(ctx.database.uri, url);
  log(
    `  ${sent.created.length} messages sent with a statusCallbackUrl (receiver holds answers ${STALL_MS} ms) in ${sent.seconds} s, ${sent.refused} refused; outbox: ${beforeWebhooks.pending} pending events, ${beforeWebhooks.attempts} attempts so far`,
  );
  const attemptsBefore = attemptTotal(await callbackAttempts(ctx.service.baseUrl));
  const heldBefore = receiver.received().length;
  const stalled = await webhookScenario(
    ctx,
    sent.created,
    'POST /webhooks/plivo/status, client stalled',
  );
  const worker = {
    attempts: attemptTotal(await callbackAttempts(ctx.service.baseUrl)) - attemptsBefore,
    timedOutAtReceiver: receiver
      .received()
      .slice(heldBefore)
      .filter((c) => c.answered === 'timeout').length,
  };
  const afterWebhooks = await outboxCounts(ctx.database.uri, url);
  log(
    `  during the webhook scenario (warm-up, run, drains) the worker made ${worker.attempts} attempts; ${worker.timedOutAtReceiver} requests were abandoned by the service at the receiver (timeout)`,
  );
  log(
    `  outbox after the webhooks: ${afterWebhooks.events} events for ${afterWebhooks.appliedChanges} applied status changes, ${afterWebhooks.pending} pending, ${afterWebhooks.attempts} attempts recorded on them`,
  );
  const recovery = await recover(ctx, url);
  const soak = await callbackSoakScenario(ctx);

  printComparison(throughputWebhooks, without, stalled);
  return {
    report: {
      clientCallbacks: {
        timings: { ...CALLBACK_TIMINGS, stallMs: STALL_MS, concurrency: 10 },
        sends: { requested: count, ...sent, created: sent.created.length },
        webhooks: { without, stalled, throughputRun: throughputWebhooks, worker },
        outbox: { beforeWebhooks, afterWebhooks },
        recovery,
        soak,
      },
    },
    targets: clientCallbackTargets(without, stalled, afterWebhooks, recovery, soak),
  };
}

/** `count` sends through the API (autocannon, --connections), with a statusCallbackUrl if given. */
async function sendMessages(ctx: BenchContext, count: number, url?: string) {
  const created: Created[] = [];
  const started = performance.now();
  const r = await autocannon({
    url: ctx.service.baseUrl,
    connections: Math.min(ctx.options.connections, count),
    amount: count,
    timeout: 20,
    requests: [sendRequest(created, url)],
  });
  return {
    created,
    refused: r.non2xx + r.errors + r.timeouts,
    seconds: round((performance.now() - started) / 1000),
  };
}

/** The client answers 200 at once again: every pending event must arrive, in the end. */
async function recover(ctx: BenchContext, url: string): Promise<Recovery> {
  const { receiver } = ctx.clientEndpoints!;
  receiver.delay(0);
  const started = performance.now();
  let outbox = await outboxCounts(ctx.database.uri, url);
  while (outbox.due > 0 && performance.now() - started < 60_000) {
    await sleep(500);
    outbox = await outboxCounts(ctx.database.uri, url);
  }
  const seconds = round((performance.now() - started) / 1000);
  const accepted = receiver.accepted();
  const recovery: Recovery = {
    seconds,
    outbox,
    acceptedDistinct: new Set(accepted.map((c) => c.eventId)).size,
    signatureInvalid: receiver.received().filter((c) => !c.signatureValid).length,
  };
  log(
    `  client recovered (200 at once): ${outbox.due ? `${outbox.due} messages still due after` : 'backlog delivered in'} ${seconds} s; ${outbox.delivered} of ${outbox.events} events delivered, ${recovery.acceptedDistinct} distinct event ids accepted by the receiver, ${recovery.signatureInvalid} bad signatures`,
  );
  await ctx.drain();
  return recovery;
}

function printComparison(
  throughputRun: ScenarioResult,
  without: ScenarioResult,
  stalled: ScenarioResult,
): void {
  const row = (label: string, r: ScenarioResult) => [
    label,
    r.rps,
    r.latencyMs.p50,
    r.latencyMs.p99,
    r.non2xx,
    r.errors + r.timeouts,
    r.processes.service?.cpuPercent ?? '-',
    r.processes.database?.cpuPercent ?? '-',
    r.processes.others?.cpuPercent ?? '-',
  ];
  log('');
  log(
    table(
      [
        'POST /webhooks/plivo/status',
        'req/s',
        'p50 ms',
        'p99 ms',
        'non-2xx',
        'errors',
        'CPU %',
        'db CPU %',
        'others CPU %',
      ],
      [
        row('throughput run (reference)', throughputRun),
        row('no callbacks', without),
        row('client stalled', stalled),
      ],
    ),
  );
  log(
    `p50 ${ratio(stalled.latencyMs.p50, without.latencyMs.p50)}×, p99 ${ratio(stalled.latencyMs.p99, without.latencyMs.p99)}× with the client stalled`,
  );
  for (const note of without.notes) log(`  no callbacks: ${note}`);
  for (const note of stalled.notes) log(`  client stalled: ${note}`);
}

const ratio = (a: number, b: number) => (b > 0 ? round(a / b, 2) : NaN);

function clientCallbackTargets(
  without: ScenarioResult,
  stalled: ScenarioResult,
  afterWebhooks: OutboxCounts,
  recovery: Recovery,
  soak: SoakResult,
): Target[] {
  const p99Ratio = ratio(stalled.latencyMs.p99, without.latencyMs.p99);
  const { outbox } = recovery;
  const growth =
    soak.start.rssMb && soak.end.rssMb
      ? (soak.end.rssMb - soak.start.rssMb) / soak.start.rssMb
      : NaN;
  const kept = soak.outboxAtEnd;
  return [
    {
      target: `webhook p99 with a stalled client ≤ ${P99_RATIO_TARGET}× without callbacks (same run)`,
      measured: `${p99Ratio}× (${stalled.latencyMs.p99} vs ${without.latencyMs.p99} ms; p50 ${stalled.latencyMs.p50} vs ${without.latencyMs.p50} ms)`,
      pass: p99Ratio <= P99_RATIO_TARGET && stalled.non2xx + stalled.errors === 0,
    },
    {
      target: 'no callback event lost: one per applied status change, all delivered on recovery',
      measured: `${afterWebhooks.events} events for ${afterWebhooks.appliedChanges} changes; ${outbox.delivered}/${outbox.events} delivered (${recovery.acceptedDistinct} distinct ids received) in ${recovery.seconds} s`,
      pass:
        afterWebhooks.events === afterWebhooks.appliedChanges &&
        outbox.delivered === outbox.events &&
        recovery.acceptedDistinct >= outbox.events,
    },
    {
      target: `service RSS flat while events wait for a dead client (≤ +${RSS_GROWTH_TARGET * 100}% over the soak)`,
      measured: `${soak.start.rssMb} → ${soak.end.rssMb} MB (${round(growth * 100)}%, max ${soak.rssMaxMb}) over ${soak.end.s} s, ${soak.attemptsInWindow} attempts`,
      pass: growth <= RSS_GROWTH_TARGET,
    },
    {
      target: 'pending events stay in MongoDB (dead client)',
      measured: `${kept.pending} of ${soak.outboxAtStart.events} events pending at the end (${kept.abandoned} abandoned, ${kept.attempts} attempts recorded)`,
      pass:
        kept.events === soak.outboxAtStart.events &&
        kept.pending === kept.events &&
        soak.attemptsInWindow > 0,
    },
  ];
}
