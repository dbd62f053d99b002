/** `GET /messages/:id` over the messages the send run created. */
import { API_KEY, MESSAGES_PATH, type Created } from '../fixtures';
import { rotatingRequest, runScenario, type ScenarioResult } from '../load';
import type { BenchContext } from './context';

export function getByIdScenario(ctx: BenchContext, created: Created[]): Promise<ScenarioResult> {
  const gets = created.map((m) => ({
    path: `${MESSAGES_PATH}/${m.id}`,
    headers: { 'x-api-key': API_KEY },
  }));
  return runScenario(ctx.options, {
    name: `GET ${MESSAGES_PATH}/:id`,
    url: ctx.service.baseUrl,
    profiler: ctx.profiling?.scenario(`GET ${MESSAGES_PATH}/:id`, ctx.service.child),
    makeRequest: () => rotatingRequest(gets, 'GET', { n: 0 }),
    sampler: () => ctx.sampler(),
    drain: () => ctx.drain(),
    memoryOf: () => ctx.memory(),
  });
}
