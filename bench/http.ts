/**
 * Single requests from the bench process over one keep-alive connection: the sequential
 * requests of flat-cost mode, and reading the service's /metrics.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { METRICS_TOKEN } from './fixtures';
import { round } from './stats';

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** Closes the keep-alive connection (at the end of a run). */
export function closeConnections(): void {
  agent.destroy();
}

export interface Answer {
  status: number;
  body: string;
  /** Time from the call to the end of the answer. */
  ms: number;
}

export function call(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> {
  const started = performance.now();
  return new Promise((done, fail) => {
    const req = request(
      `${baseUrl}${path}`,
      {
        method,
        agent,
        headers: {
          ...headers,
          ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          done({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - started,
          }),
        );
        res.on('error', fail);
      },
    );
    req.setTimeout(600_000, () => req.destroy(new Error('no answer in 600 s')));
    req.on('error', fail);
    req.end(body);
  });
}

const METRICS_AUTH = { Authorization: `Bearer ${METRICS_TOKEN}` };

/** The service's own memory view from /metrics (prom-client default metrics), in MB. */
export async function serviceMemory(baseUrl: string): Promise<Record<string, number> | undefined> {
  const r = await call(baseUrl, 'GET', '/metrics', METRICS_AUTH).catch(() => undefined);
  if (!r || r.status !== 200) return undefined;
  const pick = (name: string) => {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(r.body);
    return m ? round(Number(m[1]) / 1048576) : NaN;
  };
  return {
    rss: pick('process_resident_memory_bytes'),
    heapTotal: pick('nodejs_heap_size_total_bytes'),
    heapUsed: pick('nodejs_heap_size_used_bytes'),
    external: pick('nodejs_external_memory_bytes'),
  };
}

/** status_callback_events_total by outcome (retried, delivered…) from the service's /metrics. */
export async function callbackAttempts(baseUrl: string): Promise<Record<string, number>> {
  const r = await call(baseUrl, 'GET', '/metrics', METRICS_AUTH).catch(() => undefined);
  const attempts: Record<string, number> = {};
  if (!r || r.status !== 200) return attempts;
  for (const m of r.body.matchAll(/^status_callback_events_total\{outcome="(\w+)"\} (\d+)/gm))
    attempts[m[1]] = Number(m[2]);
  return attempts;
}

/** All outcomes of callbackAttempts added up. */
export const attemptTotal = (a: Record<string, number>): number =>
  Object.values(a).reduce((x, y) => x + y, 0);
