/**
 * The simulator's own control routes (not Plivo's API), for the sandbox and tests that drive it
 * over HTTP:
 * - `GET /_sim/rates`: the rates in effect (`null`: off);
 * - `POST /_sim/rates {accountMmsPerSecond?, accountSmsPerSecond?, senderMmsPerSecond?,
 *   senderSmsPerSecond?, queueExpiryMs?}` sets them (`null` or `{}`: off), see rate-queue.ts;
 * - `GET /_sim/messages`: every message created, with when it was accepted, sent or expired.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from './http-utils';
import { parseRateLimits, type RateLimits } from './rate-queue';
import type { OutboundMessage } from './send-api';

export const SIM_CONTROL_PATH = '/_sim/';

/** What the routes need of the simulator. */
export interface SimControlled {
  readonly rates: RateLimits | null;
  setRates(rates: RateLimits | null): void;
  readonly messages: OutboundMessage[];
}

export async function handleSimControl(
  sim: SimControlled,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const reply = (status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body, null, 2));
  };
  const route = (req.url ?? '/').split('?')[0].slice(SIM_CONTROL_PATH.length).replace(/\/+$/, '');
  const raw = await readBody(req);
  if (route === 'messages') {
    if (req.method !== 'GET') return reply(405, { error: 'GET only' });
    return reply(200, { messages: sim.messages.map(describeMessage) });
  }
  if (route !== 'rates') return reply(404, { error: 'not found' });
  if (req.method === 'GET') return reply(200, { rates: sim.rates });
  if (req.method !== 'POST') return reply(405, { error: 'GET or POST only' });
  let body: unknown;
  try {
    body = raw.trim() === '' ? null : JSON.parse(raw);
  } catch {
    return reply(400, { error: 'expected a JSON object of rates, or null to turn them off' });
  }
  const parsed = parseRateLimits(body);
  if (!parsed.ok) return reply(400, { error: parsed.error });
  sim.setRates(parsed.limits);
  return reply(200, { rates: sim.rates });
}

function describeMessage(message: OutboundMessage) {
  return {
    uuid: message.uuid,
    src: message.src,
    dst: message.dst,
    type: message.type,
    acceptedAt: message.acceptedAt.toISOString(),
    sentAt: message.sentAt?.toISOString() ?? null,
    expiredAt: message.expiredAt?.toISOString() ?? null,
    messageExpirySeconds: message.messageExpirySeconds ?? null,
    departure: message.departure
      ? { outcome: message.departure.outcome, at: new Date(message.departure.at).toISOString() }
      : null,
  };
}
