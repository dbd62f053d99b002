import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { MESSAGE_STATUSES, MessageStatus } from './message-status';

/**
 * pending: due (or waiting for its retry, or for an earlier event of its message);
 * delivered: the client answered 2xx; stopped: the client answered 410 (this event or an
 * earlier one); abandoned: still failing STATUS_CALLBACK_MAX_AGE_MS after it occurred.
 */
export const CALLBACK_EVENT_STATES = ['pending', 'delivered', 'stopped', 'abandoned'] as const;
export type CallbackEventState = (typeof CALLBACK_EVENT_STATES)[number];

/** message.status: a status change of a message; message.received: an inbound message. */
export const CALLBACK_EVENT_TYPES = ['message.status', 'message.received'] as const;
export type CallbackEventType = (typeof CALLBACK_EVENT_TYPES)[number];

/** What a STOP, START or HELP did: the opt-out list changed, or not (a second STOP, a HELP). */
export const KEYWORD_EFFECTS = ['opted-out', 'opted-in', 'unchanged'] as const;
export type KeywordEffect = (typeof KEYWORD_EFFECTS)[number];

/** An inbound message that was an opt-out, opt-in or help keyword, and its effect. */
@Schema({ _id: false })
export class InboundKeyword {
  @Prop({ required: true, enum: ['opt-out', 'opt-in', 'help'], type: String })
  kind: 'opt-out' | 'opt-in' | 'help';

  @Prop({ required: true, enum: KEYWORD_EFFECTS, type: String })
  effect: KeywordEffect;
}
export const InboundKeywordSchema = SchemaFactory.createForClass(InboundKeyword);

/** One attachment of an inbound message; Plivo gives no content type for MMS media (null). */
@Schema({ _id: false })
export class ReceivedMedia {
  @Prop({ required: true })
  url: string;

  @Prop({ type: String, default: null })
  contentType: string | null;
}
export const ReceivedMediaSchema = SchemaFactory.createForClass(ReceivedMedia);

/** The inbound message a `message.received` event tells, as it was received (never changes). */
@Schema({ _id: false })
export class ReceivedMessage {
  @Prop({ required: true })
  from: string;

  @Prop({ required: true })
  to: string;

  @Prop({ type: String, default: null })
  text: string | null;

  @Prop({ type: [ReceivedMediaSchema], default: [] })
  media: ReceivedMedia[];

  @Prop({ type: InboundKeywordSchema, default: null })
  keyword: InboundKeyword | null;
}
export const ReceivedMessageSchema = SchemaFactory.createForClass(ReceivedMessage);

/**
 * One event to push to the message's statusCallbackUrl, and how its delivery went. A status
 * change's is written by the very update that applies the status (the outbox is the message's
 * own document), so no status change can be applied without its event, or the other way round;
 * an inbound message's `message.received` by the insert that stores the message.
 */
@Schema({ _id: false })
export class CallbackEvent {
  /** `evt_` + 24 hex: the client dedupes on it (delivery is at least once). */
  @Prop({ required: true })
  id: string;

  /** Events written before inbound events existed have none: message.status. */
  @Prop({ enum: CALLBACK_EVENT_TYPES, type: String, default: 'message.status' })
  type?: CallbackEventType;

  /** 1, 2, 3… per message: events go out in this order. */
  @Prop({ required: true })
  sequence: number;

  /** message.status only (as previousStatus). */
  @Prop({ enum: MESSAGE_STATUSES, type: String })
  status?: MessageStatus;

  @Prop({ enum: MESSAGE_STATUSES, type: String })
  previousStatus?: MessageStatus;

  /** message.received only: the inbound message. */
  @Prop({ type: ReceivedMessageSchema })
  received?: ReceivedMessage;

  @Prop({ type: String })
  errorCode?: string | null;

  @Prop({ type: String })
  errorMessage?: string | null;

  @Prop({ type: String })
  plivoMessageUuid?: string | null;

  @Prop({ required: true, type: String })
  channel: 'mms' | 'sms';

  @Prop({ required: true })
  occurredAt: Date;

  @Prop({ required: true, enum: CALLBACK_EVENT_STATES, type: String })
  state: CallbackEventState;

  @Prop({ default: 0 })
  attempts: number;

  @Prop({ type: Date })
  lastAttemptAt?: Date | null;

  @Prop({ type: Number })
  lastHttpStatus?: number | null;

  @Prop({ type: String })
  lastError?: string | null;

  /** When a pending event is next tried; null once it is settled. */
  @Prop({ type: Date })
  nextAttemptAt?: Date | null;

  @Prop({ type: Date })
  deliveredAt?: Date | null;
}
export const CallbackEventSchema = SchemaFactory.createForClass(CallbackEvent);
