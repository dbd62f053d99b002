/**
 * Plivo's Send Message API as the simulator serves it: the routes, HTTP Basic auth, validation
 * of the request (Plivo's 400s) and Plivo-shaped answers (202 + message_uuid array, or
 * `{api_id, error}`).
 *
 * Request arguments: https://www.plivo.com/docs/messaging/api/message/send-a-message
 * (`message_expiry`: seconds, 5 to 10,799, else Plivo's 3-hour queue limit applies)
 * Several destinations joined with '<': https://www.plivo.com/docs/messaging/api/message/bulk-messaging
 */
import { randomUUID } from 'node:crypto';
import { MAX_MEDIA, MAX_TEXT_LENGTH } from '../../src/mms/plivo/plivo-limits';
import type { Outcome } from './http-utils';
import { MESSAGE_EXPIRY_SECONDS, type Departure } from './rate-queue';

export const MESSAGE_ROUTE = /^\/v1\/Account\/([^/]+)\/Message\/?$/;
export const ACCOUNT_ROUTE = /^\/v1\/Account\/([^/]+)(\/|$)/;
const DST_PATTERN = /^\+?\d{8,15}$/;
const MESSAGE_TYPES = ['sms', 'mms', 'whatsapp'] as const;
/** Number a Powerpack "picks" when the request has no src. */
const SANDBOX_POOL_NUMBER = '14155550100';

export type MessageType = (typeof MESSAGE_TYPES)[number];

/** One message created by a Send Message request (one per destination). */
export interface OutboundMessage {
  uuid: string;
  src: string;
  dst: string;
  type: MessageType;
  powerpackUuid?: string;
  callbackUrl?: string;
  callbackMethod: 'GET' | 'POST';
  /** When Plivo accepted it (answered 202). */
  acceptedAt: Date;
  /** When it left Plivo's queue for the carrier (the `sent` status). */
  sentAt?: Date;
  /** When it expired in Plivo's queue (rates on only): it failed with error 420, never sent. */
  expiredAt?: Date;
  /** The request's `message_expiry`: at most this many seconds in the queue. */
  messageExpirySeconds?: number;
  /**
   * Rates on: when it leaves the queue, and how, as decided on acceptance (a test's look ahead;
   * sentAt/expiredAt are only set once that time comes).
   */
  departure?: Departure;
  /** Plivo's error code of a message that ends `failed` for a reason of its own (200: opted out). */
  failWith?: string;
}

type Validation = { ok: true; messages: OutboundMessage[] } | { ok: false; error: string };

/** HTTP Basic auth with the account's auth id and token; the id in the path must match too. */
export function isAuthorized(
  header: string | undefined,
  pathAuthId: string | undefined,
  account: { authId: string; authToken: string },
): boolean {
  if (pathAuthId !== undefined && pathAuthId !== account.authId) return false;
  const expected = `Basic ${Buffer.from(`${account.authId}:${account.authToken}`).toString('base64')}`;
  return header === expected;
}

/** Plivo's error answer: `{api_id, error}`. */
export function errorAnswer(status: number, error: string): Outcome {
  return { kind: 'answer', status, body: { api_id: randomUUID(), error } };
}

/** Plivo's answer to an accepted send: 202 with one uuid per destination. */
export function queuedAnswer(messageUuids: string[]): Outcome {
  return {
    kind: 'answer',
    status: 202,
    body: { api_id: randomUUID(), message: 'message(s) queued', message_uuid: messageUuids },
  };
}

/** Checks a Send Message request body; on success, the messages it creates. */
export function validateSend(body: Record<string, unknown>): Validation {
  const src = optionalString(body.src);
  const powerpackUuid = optionalString(body.powerpack_uuid);
  const dstField = optionalString(body.dst);
  const text = body.text === undefined || body.text === null ? undefined : String(body.text);
  const type = optionalString(body.type) ?? 'sms';
  const callbackUrl = optionalString(body.url);
  const method = (optionalString(body.method) ?? 'POST').toUpperCase();
  const mediaUrls = stringList(body.media_urls);
  const mediaIds = stringList(body.media_ids);
  const messageExpiry = optionalString(body.message_expiry);

  if (!src && !powerpackUuid)
    return invalid('Neither of src or powerpack_uuid present, either one is required');
  if (src && powerpackUuid)
    return invalid('Either of src or powerpack_uuid, both of them are present');
  if (!dstField) return invalid('dst is required');
  const destinations = dstField.split('<'); // several destinations are joined with '<'
  const badDst = destinations.find((d) => !DST_PATTERN.test(d));
  if (badDst !== undefined) return invalid(`invalid dst: ${badDst}`);
  if (!isMessageType(type)) return invalid(`invalid type: ${type}; should be sms, mms or whatsapp`);
  if (method !== 'GET' && method !== 'POST')
    return invalid(`invalid method: ${method}; should be GET or POST`);
  if (callbackUrl !== undefined && !isHttpUrl(callbackUrl))
    return invalid(`invalid url: ${callbackUrl}`);

  // An integer number of seconds, 5 to 10,799 (under Plivo's 3-hour queue limit).
  const messageExpirySeconds = messageExpiry === undefined ? undefined : Number(messageExpiry);
  if (
    messageExpirySeconds !== undefined &&
    (!/^\d+$/.test(messageExpiry ?? '') ||
      messageExpirySeconds < MESSAGE_EXPIRY_SECONDS.min ||
      messageExpirySeconds > MESSAGE_EXPIRY_SECONDS.max)
  )
    return invalid(
      `invalid message_expiry: ${messageExpiry}; should be an integer between ${MESSAGE_EXPIRY_SECONDS.min} and ${MESSAGE_EXPIRY_SECONDS.max}`,
    );

  if (type === 'mms') {
    if (mediaUrls.length + mediaIds.length === 0)
      return invalid('media_urls or media_ids is required for mms');
    if (mediaUrls.length + mediaIds.length > MAX_MEDIA) {
      return invalid(
        `too many media attachments: at most ${MAX_MEDIA} media_urls and media_ids are allowed`,
      );
    }
    const badMedia = mediaUrls.find((u) => !isHttpUrl(u));
    if (badMedia !== undefined) return invalid(`invalid media_urls: ${badMedia}`);
    if (text !== undefined && [...text].length > MAX_TEXT_LENGTH) {
      return invalid(`text exceeds ${MAX_TEXT_LENGTH} characters`);
    }
  } else if (type === 'sms' && !text) {
    return invalid('text is required for sms');
  }

  const acceptedAt = new Date();
  const messages = destinations.map<OutboundMessage>((dst) => ({
    uuid: randomUUID(),
    src: src ?? SANDBOX_POOL_NUMBER,
    dst,
    type,
    powerpackUuid,
    callbackUrl,
    callbackMethod: method,
    acceptedAt,
    messageExpirySeconds,
  }));
  return { ok: true, messages };
}

function invalid(error: string): Validation {
  return { ok: false, error };
}

function isMessageType(value: string): value is MessageType {
  return (MESSAGE_TYPES as readonly string[]).includes(value);
}

function optionalString(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return String(value);
}

/** media_urls / media_ids: a JSON array (what the SDK sends) or a comma-separated string (the docs). */
function stringList(value: unknown): string[] {
  const items = Array.isArray(value)
    ? value.map(String)
    : typeof value === 'string'
      ? value.split(',')
      : [];
  return items.map((s) => s.trim()).filter((s) => s !== '');
}

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}
