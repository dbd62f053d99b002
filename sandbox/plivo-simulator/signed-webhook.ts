/**
 * One client for webhooks signed the way Plivo signs them, used by the simulator (status
 * callbacks, inbound messages), the bench and the tests: the same nonce, time format, fields and
 * X-Plivo-Signature-V3 (or -V2) headers everywhere.
 *
 * Signatures: https://www.plivo.com/docs/messaging/concepts/signature-validation
 * Callback fields: https://www.plivo.com/docs/messaging/api/message#message-status-callbacks
 */
import { randomInt } from 'node:crypto';
import { computeV2Signature, computeV3Signature } from '../../src/mms/webhooks/plivo-signature';

/** Simulated per-unit prices (TotalRate) of an MMS and an SMS. */
export const MMS_RATE = '0.02000';
export const SMS_RATE = '0.00500';

export type WebhookMethod = 'GET' | 'POST';
export type WebhookParams = Record<string, string>;

/** Plivo nonces are 20 decimal digits. */
export function plivoNonce(): string {
  let nonce = String(randomInt(1, 10));
  while (nonce.length < 20) nonce += String(randomInt(0, 10));
  return nonce;
}

/** Plivo's timestamp format: `YYYY-mm-dd HH:MM:SS.SSSSSS`, UTC. */
export function plivoTime(date: Date): string {
  return `${date.toISOString().replace('T', ' ').replace('Z', '')}000`;
}

export interface StatusCallbackFields {
  messageUuid: string;
  /** E.164 with or without '+': Plivo sends numbers without it. */
  from: string;
  to: string;
  /**
   * Send from/to exactly as given instead of without a leading '+'. The simulator echoes the
   * send request's src/dst this way (Plivo itself strips the '+').
   */
  numbersAsGiven?: boolean;
  type: 'sms' | 'mms' | 'whatsapp';
  status: string;
  /** Plivo's per-message callback sequence (1, 2, 3…). */
  sequence: number;
  errorCode?: string;
  /** When this status was reached (DeliveryReportTime); default now. */
  at?: Date;
  /** When the message was queued (MessageTime, QueuedTime); default `at`. */
  queuedAt?: Date;
  /** When the message left Plivo (SentTime), for statuses after `queued`. */
  sentAt?: Date;
  /** Sent as PowerpackUUID when the message went out through a Powerpack. */
  powerpackUuid?: string;
  /** TotalRate and TotalAmount (one unit); default 0.02000 for mms, 0.00500 otherwise. */
  rate?: string;
}

/** The form fields of a Plivo message status callback. */
export function statusCallbackParams(fields: StatusCallbackFields): WebhookParams {
  const at = fields.at ?? new Date();
  const queuedAt = fields.queuedAt ?? at;
  const number = (n: string) => (fields.numbersAsGiven ? n : n.replace(/^\+/, ''));
  const rate = fields.rate ?? (fields.type === 'mms' ? MMS_RATE : SMS_RATE);
  const params: WebhookParams = {
    MessageUUID: fields.messageUuid,
    ParentMessageUUID: fields.messageUuid, // single-part messages are their own parent
    PartInfo: '1 of 1',
    To: number(fields.to),
    From: number(fields.from),
    Type: fields.type,
    Status: fields.status,
    Sequence: String(fields.sequence),
    Units: '1',
    TotalRate: rate,
    TotalAmount: rate,
    MCC: '310',
    MNC: '004',
    MessageTime: plivoTime(queuedAt),
    QueuedTime: plivoTime(queuedAt),
  };
  if (fields.powerpackUuid) params.PowerpackUUID = fields.powerpackUuid;
  if (fields.status !== 'queued') params.SentTime = plivoTime(fields.sentAt ?? at);
  if (
    fields.status === 'delivered' ||
    fields.status === 'undelivered' ||
    fields.status === 'failed'
  )
    params.DeliveryReportTime = plivoTime(at);
  if (fields.errorCode !== undefined) params.ErrorCode = fields.errorCode;
  return params;
}

export interface SignOptions {
  /** The URL as the receiver sees it (signed byte for byte, its own query string included). */
  url: string;
  method?: WebhookMethod;
  params: WebhookParams;
  authToken: string;
  /** V2 signs the URL and nonce only (older applications); default V3. */
  version?: 'v2' | 'v3';
  nonce?: string;
  userAgent?: string;
}

export interface SignedWebhook {
  method: WebhookMethod;
  /** Where to send it: the URL, plus the params as a query string for GET. */
  target: string;
  headers: Record<string, string>;
  /** The form-encoded params for POST; undefined for GET. */
  body?: string;
}

/** A webhook request exactly as Plivo sends it: form POST (or GET with a query), signed. */
export function signWebhook(options: SignOptions): SignedWebhook {
  const method = options.method ?? 'POST';
  const nonce = options.nonce ?? plivoNonce();
  const headers: Record<string, string> =
    options.version === 'v2'
      ? {
          'X-Plivo-Signature-V2': computeV2Signature({
            url: options.url,
            nonce,
            authToken: options.authToken,
          }),
          'X-Plivo-Signature-V2-Nonce': nonce,
        }
      : {
          'X-Plivo-Signature-V3': computeV3Signature({
            method,
            url: options.url,
            params: options.params,
            nonce,
            authToken: options.authToken,
          }),
          'X-Plivo-Signature-V3-Nonce': nonce,
        };
  headers['User-Agent'] = options.userAgent ?? 'PlivoHTTP/1.0 (sandbox)';
  if (method === 'GET') return { method, target: withQuery(options.url, options.params), headers };
  headers['Content-Type'] = 'application/x-www-form-urlencoded';
  return {
    method,
    target: options.url,
    headers,
    body: new URLSearchParams(options.params).toString(),
  };
}

/** Sends a signed webhook; resolves to the HTTP status, rejects on network errors (no retries). */
export async function sendSignedWebhook(
  webhook: SignedWebhook,
  signal?: AbortSignal,
): Promise<number> {
  const response = await fetch(webhook.target, {
    method: webhook.method,
    headers: webhook.headers,
    body: webhook.body,
    signal,
  });
  await response.arrayBuffer().catch(() => undefined); // drain so the connection can be reused
  return response.status;
}

/** Appends by string, not via `new URL()`, so the signed part of the URL reaches the receiver byte for byte. */
export function withQuery(url: string, params: WebhookParams): string {
  const base = url.split('#')[0];
  const separator = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return `${base}${separator}${new URLSearchParams(params).toString()}`;
}
