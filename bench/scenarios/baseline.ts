/**
 * The two baselines, each in its own process on the same database and simulator, answering the
 * same `POST` bodies as the gateway's send run:
 * - bare (bench/bare-baseline.ts): what a correct gateway cannot skip per send, no framework;
 * - same-stack (bench/lean-baseline/): the leanest correct service in the gateway's own stack.
 * Every other throughput figure is given as a fraction of the bare baseline's requests/s.
 */
import { API_KEY, AUTH_ID, CLIENT_ID, SENDER, SEND_PATH, sendBody } from '../fixtures';
import { runScenario, type ScenarioResult, type ServiceName } from '../load';
import { startBaseline, waitForIdle, type BaselineKind } from '../processes';
import type { BenchContext } from './context';

const NAMES: Record<BaselineKind, { service: ServiceName; path: string }> = {
  bare: { service: 'bare baseline', path: '/send' },
  lean: { service: 'same-stack baseline', path: SEND_PATH },
};

export async function baselineScenario(
  ctx: BenchContext,
  kind: BaselineKind = 'bare',
): Promise<ScenarioResult> {
  const plivo = {
    PLIVO_API_URL: ctx.simulator.url,
    PLIVO_AUTH_ID: AUTH_ID,
    PLIVO_AUTH_TOKEN: ctx.simulator.authToken,
    PLIVO_SENDER_NUMBER: SENDER,
  };
  const env =
    kind === 'bare'
      ? { BARE_MONGODB_URI: ctx.database.uri, ...plivo }
      : {
          LEAN_MONGODB_URI: ctx.database.uri,
          ...plivo,
          NODE_ENV: 'production',
          API_KEYS: `${CLIENT_ID}:${API_KEY}`,
          THROTTLE_LIMIT: ctx.serviceEnv.THROTTLE_LIMIT,
          // The gateway's level: at info both write one request line per request.
          LOG_LEVEL: ctx.serviceEnv.LOG_LEVEL,
        };
  const profiling = ctx.profiling;
  const baseline = await startBaseline(kind, { ...env, ...profiling?.env }, ctx.workDir, [
    ...ctx.serviceNodeArgs,
    ...(profiling?.nodeArgs ?? []),
  ]);
  const { service, path } = NAMES[kind];
  let count = 0;
  const result = await runScenario(ctx.options, {
    name: service,
    url: baseline.baseUrl,
    service,
    measured: 'baseline',
    profiler: profiling?.scenario(service, baseline.child),
    makeRequest: () => ({
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
      setupRequest: (req) => ({ ...req, body: sendBody(count++) }),
    }),
    sampler: () => ctx.sampler({ baseline: baseline.child.pid }),
    drain: () => waitForIdle([baseline.child.pid, ctx.database.pid]),
  });
  await baseline.stop();
  ctx.simulator.reset();
  return result;
}
