/**
 * The bare baseline (bench/bare-baseline.ts, its own process): what a correct gateway cannot
 * skip per send, on the same database. Every other throughput figure is given as a fraction of
 * its requests/s.
 */
import { AUTH_ID, SENDER, sendBody } from '../fixtures';
import { runScenario, type ScenarioResult } from '../load';
import { startBareBaseline, waitForIdle } from '../processes';
import type { BenchContext } from './context';

export async function baselineScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const bare = await startBareBaseline(
    {
      BARE_MONGODB_URI: ctx.database.uri,
      PLIVO_API_URL: ctx.simulator.url,
      PLIVO_AUTH_ID: AUTH_ID,
      PLIVO_AUTH_TOKEN: ctx.simulator.authToken,
      PLIVO_SENDER_NUMBER: SENDER,
    },
    ctx.workDir,
  );
  let count = 0;
  const result = await runScenario(ctx.options, {
    name: 'bare baseline',
    url: bare.baseUrl,
    makeRequest: () => ({
      method: 'POST',
      path: '/send',
      headers: { 'content-type': 'application/json' },
      setupRequest: (req) => ({ ...req, body: sendBody(count++) }),
    }),
    sampler: () => ctx.sampler({ baseline: bare.child.pid }),
    drain: () => waitForIdle([bare.child.pid]),
  });
  await bare.stop();
  ctx.simulator.reset();
  return result;
}
