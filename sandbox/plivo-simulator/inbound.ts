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
  /**
   * Plivo's `MessageIntent`. By default it is derived from the text like Plivo does for the
   * standard keywords (`optout`, `optin`, `help`; none otherwise); a value given here is sent
   * as is (say `optout` with any text), and `''` sends none.
   */
  intent?: string;
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
  const intent = intentOf(inbound);
  if (intent) params.MessageIntent = intent;
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
 * `POST /sandbox/inbound {from, to?, text?, mediaUrls?, type?, intent?}` → a signed inbound
 * webhook to `inboundUrl` (with `MessageIntent` for STOP/START/HELP, or the `intent` given);
 * answers `{delivered, webhookStatus}`.
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
    intent: typeof body.intent === 'string' ? body.intent : undefined,
  });
  reply(200, { delivered: webhookStatus >= 200 && webhookStatus < 300, webhookStatus });
}

/** Plivo's opt-out and opt-in keywords (the whole text, case-insensitive, punctuation ignored). */
const STOP_WORDS = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'REVOKE'];
const START_WORDS = ['START', 'UNSTOP', 'YES', 'OPTIN'];
const HELP_WORDS = ['HELP', 'INFO'];

/** The whole text as a keyword: trimmed, case-insensitive, punctuation around it ignored. */
const keywordOf = (text: string | undefined): string =>
  (text ?? '').replace(/^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$/gu, '').toUpperCase();

/** The `MessageIntent` Plivo sends: the explicit one if given, else the standard keyword's. */
export function intentOf(inbound: { text?: string; intent?: string }): string | undefined {
  if (inbound.intent !== undefined) return inbound.intent || undefined;
  const word = keywordOf(inbound.text);
  if (STOP_WORDS.includes(word)) return 'optout';
  if (START_WORDS.includes(word)) return 'optin';
  if (HELP_WORDS.includes(word)) return 'help';
  return undefined;
}
/** Plivo lets one acknowledgement through within 5 minutes of an opt-out. */
const CONFIRMATION_WINDOW_MS = 5 * 60 * 1000;

/**
 * What Plivo remembers of the STOP/START it delivered, per (our number, their number): a send
 * to an opted-out number is accepted, then fails with error 200; the first one within 5 minutes
 * of the STOP (the confirmation) goes through.
 */
export class OptOutMemory {
  private readonly stops = new Map<string, { at: number; confirmed: boolean }>();

  /** Called with every inbound message the simulator delivers (its intent decides). */
  observe(inbound: { from: string; to: string; text?: string; intent?: string }): void {
    const intent = intentOf(inbound);
    const key = pairKey(inbound.to, inbound.from);
    if (intent === 'optout') this.stops.set(key, { at: Date.now(), confirmed: false });
    else if (intent === 'optin') this.stops.delete(key);
  }

  /** The error code a send from `src` to `dst` ends with: '200' when dst opted out, else none. */
  failureFor(src: string, dst: string): string | undefined {
    const stop = this.stops.get(pairKey(src, dst));
    if (!stop) return undefined;
    if (!stop.confirmed && Date.now() - stop.at < CONFIRMATION_WINDOW_MS) {
      stop.confirmed = true;
      return undefined;
    }
    return '200';
  }

  reset(): void {
    this.stops.clear();
  }
}

const pairKey = (ours: string, theirs: string): string =>
  `${ours.replace(/\D/g, '')}|${theirs.replace(/\D/g, '')}`;
