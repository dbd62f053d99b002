/**
 * Flat-cost mode's operations, measured with sequential requests (concurrency 1, keep-alive) on
 * whatever the collection holds: send, callback, GET /messages/:id and two list pages.
 */
import { performance } from 'node:perf_hooks';
import { PLIVO_WEBHOOK_ROUTES } from '../../src/mms/plivo/webhook-routes';
import { callbackEvents } from '../callbacks';
import type { BenchOptions } from '../cli';
import {
  API_KEY,
  MESSAGES_PATH,
  parseCreated,
  SEND_PATH,
  sendBody,
  type Created,
} from '../fixtures';
import { call, type Answer } from '../http';
import { log } from '../report';
import { round, stats, type OpStats } from '../stats';
import type { BenchContext } from './context';

/** What flat-cost mode measures, in this order. */
export const FLAT_OPS = ['send', 'callback', 'getById', 'listFirstPage', 'listDeepPage'] as const;
export type FlatOp = (typeof FLAT_OPS)[number];

/** The cursor of `GET /messages` that continues after this message. */
export function cursorOf(createdAt: string | Date, id: string): string {
  return Buffer.from(`${new Date(createdAt).getTime()}.${id}`).toString('base64url');
}

/** Up to --samples sequential requests, stopping after --budget (at least --min-samples). */
async function measureOp(
  options: BenchOptions,
  label: string,
  run: (i: number) => Promise<{ status: number; ms: number }>,
  okStatus: number,
): Promise<OpStats> {
  const latencies: number[] = [];
  const failures: { status: number; ms: number }[] = [];
  const started = performance.now();
  for (let i = 0; i < options.flatSamples; i++) {
    if (i >= options.flatMinSamples && performance.now() - started > options.flatBudgetMs) break;
    const t = performance.now();
    const r = await run(i).catch(() => ({ status: 0, ms: performance.now() - t }));
    if (r.status === okStatus) latencies.push(r.ms);
    else failures.push({ status: r.status, ms: round(r.ms) });
  }
  const s: OpStats = {
    ...stats(latencies, failures.length),
    ...(failures.length ? { failures } : {}),
  };
  log(
    `    ${label.padEnd(27)} n=${String(s.samples).padStart(4)}  p50 ${s.p50} ms  p99 ${s.p99} ms  mean ${s.mean} ms${failureText(failures)}`,
  );
  return s;
}

function failureText(failures: { status: number; ms: number }[]): string {
  if (!failures.length) return '';
  const firstFew = failures
    .slice(0, 3)
    .map((f) => `${f.status || 'no answer'} after ${round(f.ms / 1000, 1)} s`)
    .join(', ');
  return `  (${failures.length} failed: ${firstFew})`;
}

/** Measures `ops` in FLAT_OPS order; `deepCursor` is asked for only when listDeepPage runs. */
export async function flatPhase(
  ctx: BenchContext,
  deepCursor: () => Promise<string>,
  ops: ReadonlySet<FlatOp>,
): Promise<Partial<Record<FlatOp, OpStats>>> {
  const { baseUrl } = ctx.service;
  const json = { 'content-type': 'application/json', 'x-api-key': API_KEY };
  const get = (path: string) => call(baseUrl, 'GET', path, json);
  const measure = (label: string, run: (i: number) => Promise<Answer>, okStatus = 200) =>
    measureOp(ctx.options, label, run, okStatus);
  const created: Created[] = [];
  const out: Partial<Record<FlatOp, OpStats>> = {};
  const send = async (i: number) => {
    const r = await call(baseUrl, 'POST', SEND_PATH, json, sendBody(i));
    if (r.status === 202) created.push(parseCreated(r.body));
    return r;
  };
  const needsMessage = ops.has('callback') || ops.has('getById');
  if (ops.has('send')) out.send = await measure(`POST ${SEND_PATH}`, send, 202);
  else if (needsMessage) await send(0); // a message to work on, not measured
  if (needsMessage && created.length === 0) throw new Error('flat-cost: no send succeeded');
  if (ops.has('callback')) {
    // Each message gets its `sent` callback (a forward move), then `delivered` if samples remain.
    const events = callbackEvents(baseUrl, ctx.simulator.authToken, created, 'status-major');
    const forward = events.slice(created.length);
    out.callback = await measure(`POST ${PLIVO_WEBHOOK_ROUTES.status}`, (i) => {
      const e = forward[i % forward.length];
      return call(baseUrl, 'POST', e.path, e.headers, e.body);
    });
  }
  if (ops.has('getById'))
    out.getById = await measure(`GET ${MESSAGES_PATH}/:id`, (i) =>
      get(`${MESSAGES_PATH}/${created[i % created.length].id}`),
    );
  if (ops.has('listFirstPage'))
    out.listFirstPage = await measure(`GET ${MESSAGES_PATH} (1st page)`, () =>
      get(`${MESSAGES_PATH}?limit=20`),
    );
  if (ops.has('listDeepPage')) {
    const cursor = await deepCursor();
    out.listDeepPage = await measure(`GET ${MESSAGES_PATH} (deep cursor)`, () =>
      get(`${MESSAGES_PATH}?limit=20&cursor=${cursor}`),
    );
  }
  return out;
}
