/**
 * `POST /webhooks/plivo/status`: the signed status callbacks of every message the send run
 * created (queued, sent, delivered), rotating on one counter; past the end they repeat
 * (replays, counted in the notes).
 */
import { PLIVO_WEBHOOK_ROUTES } from '../../src/mms/plivo/webhook-routes';
import { callbackEvents } from '../callbacks';
import type { Created } from '../fixtures';
import { rotatingRequest, runScenario, type ScenarioResult } from '../load';
import type { BenchContext } from './context';

export async function webhookScenario(
  ctx: BenchContext,
  created: Created[],
  name = `POST ${PLIVO_WEBHOOK_ROUTES.status}`,
): Promise<ScenarioResult> {
  const events = callbackEvents(ctx.service.baseUrl, ctx.simulator.authToken, created, 'mixed');
  const counter = { n: 0 };
  const answers: Record<string, number> = {};
  const replays = () =>
    counter.n > events.length ? `: ${counter.n - events.length} were replays (dedupe path)` : '';
  return runScenario(ctx.options, {
    name,
    url: ctx.service.baseUrl,
    profiler: ctx.profiling?.scenario(name, ctx.service.child),
    makeRequest: () => rotatingRequest(events, 'POST', counter, answers),
    sampler: () => ctx.sampler(),
    drain: () => ctx.drain(),
    notes: () => [
      `${events.length} distinct signed callbacks (queued/sent/delivered of ${created.length} messages); ${counter.n} sent in all (warm-up included)${replays()}`,
      `answers (warm-up included): ${Object.entries(answers)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    ],
    memoryOf: () => ctx.memory(),
  });
}
