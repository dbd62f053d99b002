/**
 * Inbound messages: the params of Plivo's request to an application's `message_url`, and the
 * simulator's `POST /sandbox/inbound` that makes one for sandbox demos.
 *
 * Inbound params: https://www.plivo.com/docs/messaging/api/message/handling-incoming
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseBody, readBody } from './http-utils';
import type { WebhookParams } from './signed-webhook';

export interface InboundMessage {
  url: string;
  from: string;
  to: string;
  text?: string;
  mediaUrls?: string[];
  /** Defaults to `mms` when mediaUrls is non-empty, else `sms`. */
  type?: 'mms' | 'sms';
  method?: 'GET' | 'POST';
}

/** Where `POST /sandbox/inbound` sends a message when the request names no recipient. */
const DEFAULT_INBOUND_TO = '+14155550100';

/** The form fields Plivo sends to `message_url` for this inbound message. */
export function inboundParams(inbound: InboundMessage): WebhookParams {
  const mediaUrls = inbound.mediaUrls ?? [];
  const type = inbound.type ?? (mediaUrls.length > 0 ? 'mms' : 'sms');
  const params: WebhookParams = {
    MessageUUID: randomUUID(),
    From: inbound.from,
    To: inbound.to,
    Type: type,
    Units: '1',
    TotalRate: '0.00000',
    TotalAmount: '0.00000',
  };
  // Plivo puts MMS text in `Body` and SMS text in `Text`.
  if (type === 'mms') {
    params.Body = inbound.text ?? '';
    params.MediaCount = String(mediaUrls.length);
    mediaUrls.forEach((url, i) => (params[`Media${i}`] = url));
  } else {
    params.Text = inbound.text ?? '';
  }
  return params;
}

/**
 * `POST /sandbox/inbound {from, to?, text?, mediaUrls?, type?}` → a signed inbound webhook to
 * `inboundUrl`; answers `{delivered, webhookStatus}`.
 */
export async function handleSandboxInbound(
  req: IncomingMessage,
  res: ServerResponse,
  inboundUrl: string | undefined,
  sendInbound: (inbound: InboundMessage) => Promise<number>,
): Promise<void> {
  const reply = (status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.method !== 'POST') return reply(405, { error: 'POST only' });
  if (!inboundUrl) return reply(404, { error: 'no inbound URL configured' });
  const parsed = parseBody(await readBody(req), req.headers['content-type']);
  const body = (parsed.ok ? parsed.value : {}) as Record<string, unknown>;
  if (typeof body.from !== 'string')
    return reply(400, { error: 'from (the sender number) is required' });
  const mediaUrls = Array.isArray(body.mediaUrls)
    ? body.mediaUrls.filter((u): u is string => typeof u === 'string')
    : [];
  const webhookStatus = await sendInbound({
    url: inboundUrl,
    from: body.from,
    to: typeof body.to === 'string' ? body.to : DEFAULT_INBOUND_TO,
    text: typeof body.text === 'string' ? body.text : undefined,
    mediaUrls,
    type: body.type === 'sms' ? 'sms' : 'mms',
  });
  reply(200, { delivered: webhookStatus >= 200 && webhookStatus < 300, webhookStatus });
}
