import { ApiProperty } from '@nestjs/swagger';
import { CallbackEvent, KEYWORD_EFFECTS } from '../message-log/callback-event.schema';
import { MESSAGE_STATUSES } from '../message-log/message-status';

/**
 * The JSON body a client receives (docs/status-callbacks.md): a status change,
 * or (message.received) an inbound message to one of its numbers. Events stored before events
 * had a type are status changes.
 */
export function callbackPayload(messageId: string, event: CallbackEvent) {
  if (event.type === 'message.received') return receivedPayload(messageId, event);
  return {
    id: event.id,
    type: 'message.status',
    messageId,
    status: event.status,
    previousStatus: event.previousStatus,
    errorCode: event.errorCode ?? null,
    errorMessage: event.errorMessage ?? null,
    plivoMessageUuid: event.plivoMessageUuid ?? null,
    channel: event.channel,
    occurredAt: new Date(event.occurredAt).toISOString(),
    sequence: event.sequence,
  };
}

function receivedPayload(messageId: string, event: CallbackEvent) {
  const received = event.received;
  if (!received) throw new Error(`message.received event ${event.id} has no message`);
  return {
    id: event.id,
    type: 'message.received',
    messageId,
    from: received.from,
    to: received.to,
    text: received.text ?? null,
    media: (received.media ?? []).map((m) => ({ url: m.url, contentType: m.contentType ?? null })),
    channel: event.channel,
    plivoMessageUuid: event.plivoMessageUuid ?? null,
    keyword: received.keyword
      ? { kind: received.keyword.kind, effect: received.keyword.effect }
      : null,
    receivedAt: new Date(event.occurredAt).toISOString(),
  };
}

/** The same body, for the OpenAPI document (`callbacks` of POST /send-mms). */
export class StatusCallbackPayloadDto {
  @ApiProperty({
    example: 'evt_665f1c2e9d3b4a0012345679',
    description: 'Unique per event, also in X-Mms-Event-Id: deduplicate on it (at least once).',
  })
  id: string;
  @ApiProperty({ enum: ['message.status'] })
  type: 'message.status';
  @ApiProperty({ example: '665f1c2e9d3b4a0012345678' })
  messageId: string;
  @ApiProperty({ enum: MESSAGE_STATUSES })
  status: string;
  @ApiProperty({ enum: MESSAGE_STATUSES, description: 'pending for the first event.' })
  previousStatus: string;
  @ApiProperty({
    type: String,
    nullable: true,
    description: "Plivo's error code, or the gateway's for a send that failed or ended unknown.",
  })
  errorCode: string | null;
  @ApiProperty({ type: String, nullable: true })
  errorMessage: string | null;
  @ApiProperty({ type: String, nullable: true })
  plivoMessageUuid: string | null;
  @ApiProperty({ enum: ['mms', 'sms'] })
  channel: string;
  @ApiProperty({ example: '2026-11-30T15:24:45.234Z' })
  occurredAt: string;
  @ApiProperty({ example: 1, description: '1, 2, 3… per message: apply in this order.' })
  sequence: number;
}

export class ReceivedMediaDto {
  @ApiProperty({ example: 'https://media.plivo.com/…' })
  url: string;
  @ApiProperty({
    type: String,
    nullable: true,
    description: "Always null for now: Plivo's inbound webhook gives MMS media URLs only.",
  })
  contentType: string | null;
}

export class ReceivedKeywordDto {
  @ApiProperty({ enum: ['opt-out', 'opt-in', 'help'] })
  kind: string;
  @ApiProperty({
    enum: KEYWORD_EFFECTS,
    description: 'unchanged: a STOP already opted out, a START not opted out, a HELP.',
  })
  effect: string;
}

/** The message.received body, for the OpenAPI document (`callbacks` of the inbound webhook). */
export class MessageReceivedPayloadDto {
  @ApiProperty({
    example: 'evt_665f1c2e9d3b4a0012345679',
    description: 'Unique per event, also in X-Mms-Event-Id: deduplicate on it (at least once).',
  })
  id: string;
  @ApiProperty({ enum: ['message.received'] })
  type: 'message.received';
  @ApiProperty({ example: '665f1c2e9d3b4a0012345678', description: 'GET /messages/{messageId}.' })
  messageId: string;
  @ApiProperty({ example: '+14157654321', description: 'Who sent it.' })
  from: string;
  @ApiProperty({ example: '+14155550101', description: 'Your number that received it.' })
  to: string;
  @ApiProperty({ type: String, nullable: true })
  text: string | null;
  @ApiProperty({ type: [ReceivedMediaDto] })
  media: ReceivedMediaDto[];
  @ApiProperty({ enum: ['mms', 'sms'] })
  channel: string;
  @ApiProperty({ type: String, nullable: true })
  plivoMessageUuid: string | null;
  @ApiProperty({
    type: ReceivedKeywordDto,
    nullable: true,
    description: 'STOP, START or HELP (the gateway already acted on it), else null.',
  })
  keyword: ReceivedKeywordDto | null;
  @ApiProperty({ example: '2026-11-30T15:24:45.234Z' })
  receivedAt: string;
}
