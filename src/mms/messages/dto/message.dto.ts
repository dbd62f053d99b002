import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Validate } from 'class-validator';
import { FieldHints } from '../../../shared/field-hints';
import { PageLimit } from '../../../shared/page-limit';
import { E164_FORMAT, E164_PATTERN, IsE164PhoneNumber } from '../../../shared/is-e164-phone-number';
import { MESSAGE_STATUSES, MessageStatus, STATUS_SOURCES } from '../../message-log/message-status';
import {
  CALLBACK_EVENT_STATES,
  CALLBACK_EVENT_TYPES,
  CallbackEventState,
  CallbackEventType,
  KEYWORD_EFFECTS,
} from '../../message-log/callback-event.schema';
import { CURSOR_PATTERN } from '../cursor';

export class StatusHistoryEntryDto {
  @ApiProperty({ enum: MESSAGE_STATUSES })
  status: MessageStatus;
  @ApiProperty()
  at: Date;
  @ApiProperty({ enum: STATUS_SOURCES })
  source: string;
  @ApiProperty({ description: 'False when the entry arrived late and did not move the status.' })
  applied: boolean;
  @ApiPropertyOptional()
  errorCode?: string;
  @ApiPropertyOptional()
  detail?: string;
}

export class InboundKeywordDto {
  @ApiProperty({ enum: ['opt-out', 'opt-in', 'help'] })
  kind: 'opt-out' | 'opt-in' | 'help';
  @ApiProperty({
    enum: KEYWORD_EFFECTS,
    description: 'unchanged: a STOP already opted out, a START not opted out, a HELP.',
  })
  effect: string;
}

export class StatusCallbackEventDto {
  @ApiProperty({ example: 'evt_665f1c2e9d3b4a0012345679', description: 'The X-Mms-Event-Id.' })
  id: string;
  @ApiProperty({
    enum: CALLBACK_EVENT_TYPES,
    description: 'message.status (a status change) or message.received (an inbound message).',
  })
  type: CallbackEventType;
  @ApiProperty({ example: 1 })
  sequence: number;
  @ApiPropertyOptional({ enum: MESSAGE_STATUSES, description: 'message.status events.' })
  status?: MessageStatus;
  @ApiPropertyOptional({ enum: MESSAGE_STATUSES, description: 'message.status events.' })
  previousStatus?: MessageStatus;
  @ApiPropertyOptional()
  errorCode?: string;
  @ApiProperty()
  occurredAt: Date;
  @ApiProperty({
    enum: CALLBACK_EVENT_STATES,
    description:
      'pending (due, or waiting for its retry or for an earlier event), delivered (2xx), stopped (410), abandoned (failing past STATUS_CALLBACK_MAX_AGE_MS).',
  })
  state: CallbackEventState;
  @ApiProperty({ description: 'Deliveries tried so far.' })
  attempts: number;
  @ApiPropertyOptional()
  lastAttemptAt?: Date;
  @ApiPropertyOptional({ description: "The status the client's endpoint last answered." })
  lastHttpStatus?: number;
  @ApiPropertyOptional({ description: 'Why the last attempt got no answer (timeout, refused…).' })
  lastError?: string;
  @ApiPropertyOptional({
    description:
      'When the first pending event is tried next (the pending events after it wait for it).',
  })
  nextAttemptAt?: Date;
  @ApiPropertyOptional()
  deliveredAt?: Date;
}

export class ClientStatusCallbackDto {
  @ApiProperty({ example: 'https://example.com/hooks/mms-status' })
  url: string;
  @ApiPropertyOptional({ description: 'True once the URL answered 410: no more events are sent.' })
  stopped?: boolean;
  @ApiProperty({ type: [StatusCallbackEventDto] })
  events: StatusCallbackEventDto[];
}

export class MessageDto {
  @ApiProperty({ example: '665f1c2e9d3b4a0012345678' })
  id: string;
  @ApiProperty({ enum: ['outbound', 'inbound'] })
  direction: string;
  @ApiPropertyOptional({
    example: 'marketing',
    description:
      'The client that may read it: the sender for outbound messages; for inbound ones, the owner of the receiving number when it arrived (INBOUND_CLIENTS, else the SENDER_NUMBERS pool holding it; none for the shared PLIVO_SENDER_NUMBER).',
  })
  clientId?: string;
  @ApiProperty({ enum: ['mms', 'sms'] })
  channel: string;
  @ApiPropertyOptional({
    enum: ['opt-out-confirmation', 'opt-in-confirmation', 'help'],
    description: 'Set on the replies the gateway sends on its own to STOP, START and HELP.',
  })
  reason?: string;
  @ApiPropertyOptional({
    type: () => InboundKeywordDto,
    description: 'An inbound STOP, START or HELP, and what it did to the opt-out list.',
  })
  keyword?: InboundKeywordDto;
  @ApiProperty({ example: '+14155550100' })
  sender: string;
  @ApiPropertyOptional({
    enum: ['requested', 'only', 'sticky', 'area-code', 'soonest'],
    description:
      "How an outbound message's sender was chosen: named by the send, the pool's only number, the number the recipient last exchanged messages with, one with the recipient's area code, or the one free soonest under pacing.",
  })
  senderChoice?: string;
  @ApiProperty({ example: '+14157654321' })
  recipient: string;
  @ApiPropertyOptional()
  text?: string;
  @ApiProperty({ type: [String] })
  mediaUrls: string[];
  @ApiProperty({ type: [String] })
  mediaIds: string[];
  @ApiProperty({ enum: MESSAGE_STATUSES })
  status: MessageStatus;
  @ApiPropertyOptional()
  plivoMessageUuid?: string;
  @ApiPropertyOptional({
    example: '50',
    description: 'Plivo error code (callbacks) or our failure class.',
  })
  errorCode?: string;
  @ApiPropertyOptional()
  errorMessage?: string;
  @ApiProperty({ description: 'Calls made to Plivo for this message.' })
  attempts: number;
  @ApiProperty({ type: [StatusHistoryEntryDto] })
  statusHistory: StatusHistoryEntryDto[];
  @ApiPropertyOptional({
    description: 'Units, TotalAmount, TotalRate, MCC, MNC and Plivo times from callbacks.',
  })
  delivery?: Record<string, string>;
  @ApiPropertyOptional({
    type: ClientStatusCallbackDto,
    description: 'Present when the message has a status callback URL: each event and its delivery.',
  })
  statusCallback?: ClientStatusCallbackDto;
  @ApiPropertyOptional({
    description:
      'A message the gateway held: when it was to be sent (its sendAt, or the pacing slot it got).',
  })
  sendAt?: Date;
  @ApiPropertyOptional({ description: 'Not handed to Plivo after this: expired, never sent.' })
  validUntil?: Date;
  @ApiPropertyOptional({
    description: 'The campaign this message is one recipient of (POST /campaigns).',
    pattern: '^[0-9a-f]{24}$',
  })
  campaignId?: string;
  @ApiProperty()
  createdAt: Date;
  @ApiProperty()
  updatedAt: Date;
}

export class MessageListDto {
  @ApiProperty({ type: [MessageDto] })
  items: MessageDto[];
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Pass as `cursor` for the next page; null on the last page.',
  })
  nextCursor: string | null;
}

@FieldHints({
  to: 'recipient',
  destinationNumber: 'recipient',
  pageSize: 'limit',
  nextCursor: 'cursor',
  after: 'cursor',
})
export class ListMessagesQueryDto {
  @ApiPropertyOptional({ enum: MESSAGE_STATUSES })
  @IsOptional()
  @IsIn(MESSAGE_STATUSES)
  status?: MessageStatus;

  @ApiPropertyOptional({ enum: ['outbound', 'inbound'] })
  @IsOptional()
  @IsIn(['outbound', 'inbound'])
  direction?: 'outbound' | 'inbound';

  @ApiPropertyOptional({
    example: '+14157654321',
    pattern: E164_PATTERN.source,
    format: E164_FORMAT,
    description: 'A valid phone number in E.164 format.',
  })
  @IsOptional()
  @Validate(IsE164PhoneNumber)
  recipient?: string;

  @PageLimit()
  limit?: number;

  @ApiPropertyOptional({
    description: 'The nextCursor of the previous page (32 base64url characters).',
    pattern: CURSOR_PATTERN.source,
    minLength: 32,
    maxLength: 32,
  })
  @IsOptional()
  @IsString()
  cursor?: string;
}
