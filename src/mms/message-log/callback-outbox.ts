import { mongo, Types } from 'mongoose';
import { CallbackEvent, InboundKeyword } from './callback-event.schema';
import { literal } from './pipeline';

interface EventFacts {
  occurredAt: Date;
  /** An expression of the document: one id per message when one write changes many. */
  eventId?: unknown;
  errorCode?: string;
  errorMessage?: string;
}

const newEventId = () => `evt_${new Types.ObjectId().toHexString()}`;

/**
 * Update-pipeline stages that append a status callback event to the message when `when` (an
 * expression over the document, e.g. "the status moved") holds and the message has a callback
 * URL that has not answered 410. They run inside the status change's own update, after it, so
 * the event reads the new status, channel and UUID, and `$__previous` (the status before, which
 * the caller's first stage saved). `callbackDueAt` tells the workers the message has something
 * to deliver: set to now unless the message is already due (a worker holds it, or an earlier
 * event waits for its first try, or, `callbackRetryAt`, for a retry: either way this event must
 * wait behind it).
 */
export function appendCallbackEventStages(when: unknown, facts: EventFacts): mongo.Document[] {
  const at = literal(facts.occurredAt);
  const event: Record<string, unknown> = {
    id: facts.eventId ?? literal(newEventId()),
    type: 'message.status',
    // Events are never removed: the next sequence is the count so far plus one.
    sequence: { $add: [{ $size: { $ifNull: ['$callbackEvents', []] } }, 1] },
    status: '$status',
    previousStatus: '$__previous',
    errorCode: literal(facts.errorCode ?? null),
    errorMessage: literal(facts.errorMessage ?? null),
    plivoMessageUuid: { $ifNull: ['$plivoMessageUuid', null] },
    channel: '$channel',
    occurredAt: at,
    state: 'pending',
    attempts: 0,
    nextAttemptAt: at,
  };
  return [
    {
      $set: {
        __emit: {
          $and: [
            when,
            { $ne: [{ $ifNull: ['$statusCallbackUrl', null] }, null] },
            { $ne: ['$callbackStopped', true] },
            // An inbound message's URL is for its message.received event only.
            { $ne: ['$direction', 'inbound'] },
          ],
        },
      },
    },
    {
      $set: {
        callbackEvents: {
          $cond: [
            '$__emit',
            { $concatArrays: [{ $ifNull: ['$callbackEvents', []] }, [event]] },
            '$callbackEvents',
          ],
        },
        callbackDueAt: {
          $cond: [
            { $and: ['$__emit', { $eq: [{ $ifNull: ['$callbackRetryAt', null] }, null] }] },
            { $ifNull: ['$callbackDueAt', at] },
            '$callbackDueAt',
          ],
        },
      },
    },
    { $unset: ['__emit', '__previous'] },
  ];
}

/** An inbound message as its owner's `message.received` event tells it. */
export interface ReceivedFacts {
  from: string;
  to: string;
  text?: string;
  mediaUrls: string[];
  channel: 'mms' | 'sms';
  plivoMessageUuid: string;
  keyword?: InboundKeyword;
  receivedAt: Date;
}

/**
 * The fields of an inbound message's document that put its `message.received` event in the
 * outbox, due now: written by the insert that stores the message, so a stored message has its
 * event and a duplicate webhook (the unique MessageUUID) adds neither. Plivo gives no content
 * type for MMS media (https://www.plivo.com/docs/messaging/api/message/handling-incoming lists
 * `Media<n>` URLs only), so each is null.
 */
export function receivedEventFields(url: string, facts: ReceivedFacts) {
  const event: CallbackEvent = {
    id: newEventId(),
    type: 'message.received',
    sequence: 1,
    received: {
      from: facts.from,
      to: facts.to,
      text: facts.text ?? null,
      media: facts.mediaUrls.map((mediaUrl) => ({ url: mediaUrl, contentType: null })),
      keyword: facts.keyword ?? null,
    },
    plivoMessageUuid: facts.plivoMessageUuid,
    channel: facts.channel,
    occurredAt: facts.receivedAt,
    state: 'pending',
    attempts: 0,
    nextAttemptAt: facts.receivedAt,
  };
  return {
    statusCallbackUrl: url,
    callbackHost: callbackHostOf(url),
    callbackEvents: [event],
    callbackDueAt: facts.receivedAt,
  };
}

/**
 * The destination a callback URL's requests go to, `host:port`: what
 * STATUS_CALLBACK_HOST_CONCURRENCY counts attempts by, stored as `callbackHost`. One spelling
 * per destination, so that no other spelling gets a cap of its own: lower-case, without the
 * trailing dot of a fully qualified name (`example.com.` is `example.com`), the default port
 * spelled out.
 */
export function callbackHostOf(url: string): string {
  const parsed = new URL(url);
  const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
  return `${parsed.hostname.toLowerCase().replace(/\.+$/, '')}:${port}`;
}

/**
 * `evt_` + 24 hex per message for a write that changes many: the change's second (8 hex) and
 * the last 16 hex of the message's _id (its process and counter: unique among the messages).
 */
export function perMessageEventId(changeId: Types.ObjectId): unknown {
  return {
    $concat: [
      literal(`evt_${changeId.toHexString().slice(0, 8)}`),
      { $substrCP: [{ $toString: '$_id' }, 8, 16] },
    ],
  };
}
