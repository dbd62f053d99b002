import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { MESSAGE_STATUSES, MessageStatus } from './message-status';

/**
 * pending: due (or waiting for its retry, or for an earlier event of its message);
 * delivered: the client answered 2xx; stopped: the client answered 410 (this event or an
 * earlier one); abandoned: still failing STATUS_CALLBACK_MAX_AGE_MS after it occurred.
 */
export const CALLBACK_EVENT_STATES = ['pending', 'delivered', 'stopped', 'abandoned'] as const;
export type CallbackEventState = (typeof CALLBACK_EVENT_STATES)[number];

/**
 * One status change to push to the message's statusCallbackUrl, and how its delivery went. It
 * is written by the very update that applies the status (the outbox is the message's own
 * document), so no status change can be applied without its event, or the other way round.
 */
@Schema({ _id: false })
export class CallbackEvent {
  /** `evt_` + 24 hex: the client dedupes on it (delivery is at least once). */
  @Prop({ required: true })
  id: string;

  /** 1, 2, 3… per message: events go out in this order. */
  @Prop({ required: true })
  sequence: number;

  @Prop({ required: true, enum: MESSAGE_STATUSES, type: String })
  status: MessageStatus;

  @Prop({ required: true, enum: MESSAGE_STATUSES, type: String })
  previousStatus: MessageStatus;

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
