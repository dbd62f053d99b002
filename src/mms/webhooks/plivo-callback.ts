import { BadRequestException } from '@nestjs/common';
import { isMessageStatus, MessageStatus } from '../message-log/message-status';
import { NewInboundMessage } from '../message-log/message-log.repository';

/** Plivo sends form fields as strings; a JSON body may carry numbers. Anything else is ignored. */
export type CallbackParams = Record<string, string>;

export function normalizeParams(body: unknown): CallbackParams {
  const params: CallbackParams = Object.create(null);
  if (!body || typeof body !== 'object' || Array.isArray(body)) return params;
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === 'string') params[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') params[key] = String(value);
  }
  return params;
}

export interface StatusCallback {
  messageUuid: string;
  status: MessageStatus;
  sequence?: string;
  errorCode?: string;
  /** Billing, carrier and timing details worth keeping (only those present). */
  details: Record<string, string>;
}

const DETAIL_FIELDS = [
  'Units',
  'TotalRate',
  'TotalAmount',
  'MCC',
  'MNC',
  'MessageTime',
  'QueuedTime',
  'SentTime',
  'DeliveryReportTime',
  'PowerpackUUID',
];
const UUID_LIKE = /^[A-Za-z0-9-]{1,64}$/;

export function parseStatusCallback(params: CallbackParams): StatusCallback {
  const messageUuid = params.MessageUUID;
  const status = params.Status?.toLowerCase();
  const missing = [
    ...(messageUuid && UUID_LIKE.test(messageUuid) ? [] : ['MessageUUID']),
    ...(isMessageStatus(status) ? [] : ['Status']),
  ];
  if (missing.length > 0) {
    throw new BadRequestException({
      message: `Invalid status callback: ${missing.join(', ')} missing or malformed`,
      code: 'INVALID_CALLBACK',
    });
  }
  const details: Record<string, string> = {};
  for (const field of DETAIL_FIELDS) if (params[field]) details[field] = params[field].slice(0, 64);
  return {
    messageUuid,
    status: status as MessageStatus,
    sequence: params.Sequence?.slice(0, 32) || undefined,
    errorCode: params.ErrorCode?.slice(0, 16) || undefined,
    details,
  };
}

/** An inbound message, and Plivo's MessageIntent (optout, optin, help) when it sent one. */
export type InboundWebhook = NewInboundMessage & { intent?: string };

/** Plivo numbers media Media1… in one doc and Media0… in another: read every MediaN in order. */
export function parseInboundMessage(params: CallbackParams): InboundWebhook {
  const messageUuid = params.MessageUUID;
  const from = params.From?.trim();
  const to = params.To?.trim();
  const missing = [
    ...(messageUuid && UUID_LIKE.test(messageUuid) ? [] : ['MessageUUID']),
    ...(from ? [] : ['From']),
    ...(to ? [] : ['To']),
  ];
  if (missing.length > 0) {
    throw new BadRequestException({
      message: `Invalid inbound message: ${missing.join(', ')} missing or malformed`,
      code: 'INVALID_CALLBACK',
    });
  }
  const mediaUrls = Object.keys(params)
    .map((key) => /^Media(\d{1,2})$/.exec(key))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(a[1]) - Number(b[1]))
    .map((m) => params[m[0]])
    .filter(Boolean);
  const type = params.Type?.toLowerCase() === 'sms' ? 'sms' : 'mms';
  const mediaCount = Number(params.MediaCount);
  return {
    messageUuid,
    from: toE164(from),
    to: toE164(to),
    type,
    text: (type === 'mms' ? (params.Body ?? params.Text) : (params.Text ?? params.Body))?.slice(
      0,
      10000,
    ),
    mediaUrls,
    mediaCount: Number.isFinite(mediaCount) ? mediaCount : undefined,
    errorCode: params.ErrorCode,
    intent: params.MessageIntent?.slice(0, 32) || undefined,
  };
}

/** Plivo writes numbers without the plus; the log stores E.164 like the send path. */
export function toE164(number: string): string {
  const trimmed = number.trim().slice(0, 32);
  return /^\d{6,15}$/.test(trimmed) ? `+${trimmed}` : trimmed;
}
