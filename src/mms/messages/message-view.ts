import { BadRequestException } from '@nestjs/common';
import { Types } from 'mongoose';
import { StatusCallbackEventDto, MessageDto, ClientStatusCallbackDto } from './dto/message.dto';
import { Client } from '../../auth/client';
import { MessageLogRecord, Readers } from '../message-log/message-log.repository';

/** Whose messages a client may read: its own, or everyone's with an admin key. */
export function readersFor(client: Client): Readers {
  return client.admin ? 'all' : { clientId: client.id };
}

export function toMessageDto(log: MessageLogRecord): MessageDto {
  return {
    id: log._id.toHexString(),
    direction: log.direction,
    clientId: log.clientId,
    channel: log.channel,
    ...(log.reason ? { reason: log.reason } : {}),
    ...(log.keyword ? { keyword: { kind: log.keyword.kind, effect: log.keyword.effect } } : {}),
    sender: log.sender,
    ...(log.senderChoice ? { senderChoice: log.senderChoice } : {}),
    recipient: log.recipient,
    text: log.text,
    mediaUrls: log.mediaUrls ?? [],
    mediaIds: log.mediaIds ?? [],
    status: log.status,
    plivoMessageUuid: log.plivoMessageUuid,
    errorCode: log.errorCode,
    errorMessage: log.errorMessage,
    attempts: log.attempts ?? 0,
    statusHistory: (log.statusHistory ?? []).map(
      ({ status, at, source, applied, errorCode, detail }) => ({
        status,
        at,
        source,
        applied: applied !== false,
        ...(errorCode ? { errorCode } : {}),
        ...(detail ? { detail } : {}),
      }),
    ),
    delivery: log.delivery,
    ...(log.statusCallbackUrl ? { statusCallback: statusCallbackView(log) } : {}),
    ...(log.sendAt ? { sendAt: log.sendAt } : {}),
    ...(log.validUntil ? { validUntil: log.validUntil } : {}),
    ...(log.campaignId ? { campaignId: log.campaignId.toHexString() } : {}),
    createdAt: log.createdAt,
    updatedAt: log.updatedAt,
  };
}

/**
 * The message's status callback URL and each event's delivery state (nulls left out). Only the
 * first pending event has a next attempt: the ones after it wait for it, whatever their own
 * stored time says.
 */
function statusCallbackView(log: MessageLogRecord): ClientStatusCallbackDto {
  const events = log.callbackEvents ?? [];
  const head = events.find((event) => event.state === 'pending');
  return {
    url: log.statusCallbackUrl!,
    ...(log.callbackStopped ? { stopped: true } : {}),
    events: events.map((event) => {
      const view: Record<string, unknown> = {};
      for (const field of EVENT_VIEW_FIELDS)
        if (event[field] !== null && event[field] !== undefined) view[field] = event[field];
      if (event !== head) delete view.nextAttemptAt;
      view.type ??= 'message.status'; // stored before events had a type
      return view as unknown as StatusCallbackEventDto;
    }),
  };
}

const EVENT_VIEW_FIELDS = [
  'id',
  'type',
  'sequence',
  'status',
  'previousStatus',
  'errorCode',
  'occurredAt',
  'state',
  'attempts',
  'lastAttemptAt',
  'lastHttpStatus',
  'lastError',
  'nextAttemptAt',
  'deliveredAt',
] as const;

/** A message id as the API shows it (any case accepted); also the OpenAPI pattern of `:id`. */
export const MESSAGE_ID_PATTERN = /^[0-9a-fA-F]{24}$/;

export function parseMessageId(id: string): Types.ObjectId {
  if (!MESSAGE_ID_PATTERN.test(id)) {
    throw new BadRequestException({
      message: 'id must be a 24-character hex message id',
      code: 'INVALID_MESSAGE_ID',
    });
  }
  return new Types.ObjectId(id);
}
