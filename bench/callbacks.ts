/**
 * Status callbacks exactly as the simulator (and Plivo) sends them: form bodies, V3-signed over
 * the service's public URL, built by the simulator's signed-webhook client and pre-generated so
 * signing costs the load generator nothing during a run.
 */
import { PLIVO_WEBHOOK_ROUTES } from '../src/mms/plivo/webhook-routes';
import { signWebhook, statusCallbackParams } from '../sandbox/plivo-simulator/signed-webhook';
import { DESTINATIONS, SENDER, type Created } from './fixtures';

/** A request ready for autocannon or `call`: the path on the service, headers, body. */
export interface PreparedRequest {
  path: string;
  body?: string;
  headers: Record<string, string>;
}

const LIFECYCLE = ['queued', 'sent', 'delivered'] as const;
type LifecycleStatus = (typeof LIFECYCLE)[number];

function signedCallback(
  baseUrl: string,
  authToken: string,
  m: Created,
  status: LifecycleStatus,
  sequence: number,
): PreparedRequest {
  const path = `${PLIVO_WEBHOOK_ROUTES.status}?ref=${m.id}`;
  const params = statusCallbackParams({
    messageUuid: m.uuid,
    from: SENDER,
    to: DESTINATIONS[0],
    type: 'mms',
    status,
    sequence,
  });
  const signed = signWebhook({
    url: baseUrl + path,
    params,
    authToken,
    userAgent: 'PlivoHTTP/1.0 (bench)',
  });
  return { path, body: signed.body, headers: signed.headers };
}

/**
 * Every message's lifecycle callbacks (queued, sent, delivered: Sequence 1..3), each once.
 * - `mixed` (the webhook scenario): every stretch of requests has the three statuses in equal
 *   parts (a `queued` arriving after the send answered is recorded but not applied: two
 *   updates; `sent`/`delivered` move the status: one), and one message's three callbacks are
 *   a third of the list apart, so they do not queue behind each other; some arrive out of
 *   order, as on Plivo.
 * - `status-major` (flat-cost mode): all `queued`, then all `sent`, then all `delivered`.
 * Past the end, bodies repeat (replays: the dedupe path).
 */
export function callbackEvents(
  baseUrl: string,
  authToken: string,
  created: Created[],
  order: 'mixed' | 'status-major',
): PreparedRequest[] {
  const sign = (c: Created, i: number) =>
    signedCallback(baseUrl, authToken, c, LIFECYCLE[i], i + 1);
  if (order === 'status-major') return LIFECYCLE.flatMap((_, i) => created.map((c) => sign(c, i)));
  const m = created.length;
  const third = Math.floor(m / 3);
  const events: PreparedRequest[] = [];
  for (let j = 0; j < m; j++)
    LIFECYCLE.forEach((_, i) => events.push(sign(created[(j + i * third) % m], i)));
  return events;
}
