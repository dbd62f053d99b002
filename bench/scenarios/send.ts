/** `POST /send-mms`: JSON bodies to 1,000 rotating US destinations; the messages created are kept. */
import { API_KEY, parseCreated, SEND_PATH, sendBody, type Created } from '../fixtures';
import { runScenario, type AutocannonRequest, type ScenarioResult } from '../load';
import type { BenchContext } from './context';

/** Sends that keep the messages created; with a statusCallbackUrl when given. */
export function sendRequest(created: Created[], statusCallbackUrl?: string): AutocannonRequest {
  let n = 0;
  return {
    method: 'POST',
    path: SEND_PATH,
    headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
    setupRequest: (req) => ({ ...req, body: sendBody(n++, statusCallbackUrl) }),
    onResponse: (status, body) => {
      if (status !== 202) return;
      try {
        created.push(parseCreated(body));
      } catch {
        // counted by autocannon as a 2xx all the same; the id is just not reused
      }
    },
  };
}

/** The send run, and the messages it created (warm-up included) for the next scenarios. */
export async function sendScenario(
  ctx: BenchContext,
): Promise<{ result: ScenarioResult; created: Created[] }> {
  const created: Created[] = [];
  const result = await runScenario(ctx.options, {
    name: `POST ${SEND_PATH}`,
    url: ctx.service.baseUrl,
    profiler: ctx.profiling?.scenario(`POST ${SEND_PATH}`, ctx.service.child),
    makeRequest: () => sendRequest(created),
    sampler: () => ctx.sampler(),
    drain: () => ctx.drain(),
    memoryOf: () => ctx.memory(),
  });
  ctx.simulator.reset();
  result.notes.push(
    `${created.length} messages created (warm-up included), all logged in MongoDB before Plivo was called`,
  );
  return { result, created };
}
