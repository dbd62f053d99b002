/*
 * Long on purpose: the message document, every field with what it means, and every index with
 * the query it serves, in one place (the outbox, the queue and the reads all live in it).
 */
import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { SchemaTypes, Types } from 'mongoose';
import { MESSAGE_STATUSES, MessageStatus, StatusSource } from './message-status';
import { CallbackEvent, CallbackEventSchema } from './callback-event.schema';
import { InboundKeyword, InboundKeywordSchema } from './callback-event.schema';

@Schema({ _id: false })
export class StatusHistoryEntry {
  /** Identifies the change that wrote this entry (its writer reads it back from the post-image). */
  @Prop({ type: Types.ObjectId })
  changeId?: Types.ObjectId;

  @Prop({ required: true, enum: MESSAGE_STATUSES, type: String })
  status: MessageStatus;

  @Prop({ required: true })
  at: Date;

  @Prop({ required: true, type: String })
  source: StatusSource;

  /** Whether this entry moved `status`; a late callback is recorded but does not regress it. */
  @Prop({ default: true })
  applied: boolean;

  @Prop()
  errorCode?: string;

  @Prop()
  detail?: string;
}
export const StatusHistoryEntrySchema = SchemaFactory.createForClass(StatusHistoryEntry);

@Schema({ _id: false })
export class AttemptRecord {
  @Prop({ required: true })
  at: Date;

  /** ok | rejected | auth | throttled | unavailable | network | ambiguous */
  @Prop({ required: true })
  outcome: string;

  @Prop()
  httpStatus?: number;

  @Prop()
  error?: string;

  @Prop()
  durationMs?: number;
}
export const AttemptRecordSchema = SchemaFactory.createForClass(AttemptRecord);

@Schema({ collection: 'message_logs', timestamps: true, versionKey: false })
export class MessageLog {
  _id: Types.ObjectId;

  @Prop({ required: true, enum: ['outbound', 'inbound'], type: String })
  direction: 'outbound' | 'inbound';

  /**
   * The client that may read this message: the sender's API client for outbound messages; for
   * inbound ones, the receiving number's owner when it arrived (INBOUND_CLIENTS, else the
   * SENDER_NUMBERS pool holding it; none for the shared PLIVO_SENDER_NUMBER). Admin keys read
   * every message.
   */
  @Prop({ type: String })
  clientId?: string;

  /** mms, or sms when a fallback sent the media as links. */
  @Prop({ required: true, enum: ['mms', 'sms'], type: String, default: 'mms' })
  channel: 'mms' | 'sms';

  @Prop({ required: true })
  sender: string;

  /** How an outbound message's sender was chosen (src/mms/senders: requested, sticky…). */
  @Prop({ type: String })
  senderChoice?: string;

  @Prop({ required: true })
  recipient: string;

  @Prop({ type: String })
  text?: string;

  /** Why an MMS went out as an SMS carrying its media links. */
  @Prop()
  fallbackReason?: string;

  /** A message the gateway sent on its own: opt-out-confirmation, opt-in-confirmation, help. */
  @Prop()
  reason?: string;

  /** An inbound STOP, START or HELP, and what it did to the opt-out list. */
  @Prop({ type: InboundKeywordSchema })
  keyword?: InboundKeyword;

  @Prop({ type: [String], default: [] })
  mediaUrls: string[];

  @Prop({ type: [String], default: [] })
  mediaIds: string[];

  @Prop({ required: true, enum: MESSAGE_STATUSES, type: String })
  status: MessageStatus;

  /** Numeric form of `status` so a callback can move it forward in one conditional update. */
  @Prop({ required: true })
  statusRank: number;

  @Prop()
  plivoMessageUuid?: string;

  @Prop()
  plivoApiId?: string;

  @Prop()
  errorCode?: string;

  @Prop()
  errorMessage?: string;

  @Prop({ default: 0 })
  attempts: number;

  @Prop({ type: [AttemptRecordSchema], default: [] })
  attemptLog: AttemptRecord[];

  @Prop({ type: [StatusHistoryEntrySchema], default: [] })
  statusHistory: StatusHistoryEntry[];

  /**
   * Dedupe keys (uuid|status|sequence) of the callbacks already recorded: a replay finds its key
   * and changes nothing. A flat array of strings so the status update's pipeline tests it with
   * one `$in`, inside the same atomic write.
   */
  @Prop({ type: [String], default: [] })
  eventKeys: string[];

  /** Billing and carrier details reported by Plivo callbacks (Units, TotalAmount, MCC…). */
  @Prop({ type: Object })
  delivery?: Record<string, string>;

  /** Where callback events go: the request's, the client's default; inbound: the owner's. */
  @Prop()
  statusCallbackUrl?: string;

  /** The URL answered 410 Gone: no more events for this message. */
  @Prop()
  callbackStopped?: boolean;

  /** The outbox: status callback events and their delivery state, in sequence order. */
  @Prop({ type: [CallbackEventSchema], default: undefined })
  callbackEvents?: CallbackEvent[];

  /** `host:port` of statusCallbackUrl: a worker skips the hosts whose attempts fill their cap. */
  @Prop()
  callbackHost?: string;

  /**
   * Set while an event is undelivered and has not failed yet: when a worker may next take the
   * message (its first pending event's first try, or the end of a worker's lease). Workers
   * claim by it before they look at retries.
   */
  @Prop()
  callbackDueAt?: Date;

  /**
   * Instead of callbackDueAt, once the first pending event has been tried and failed: when it
   * is tried again. Claimed only while no first try is due, so retries never delay a new event.
   */
  @Prop()
  callbackRetryAt?: Date;

  /** The token of the worker holding the message until callbackDueAt. */
  @Prop()
  callbackLease?: string;

  /** When the message is to be sent: the client's sendAt, or the pacing slot it was given. */
  @Prop()
  sendAt?: Date;

  /** Not handed to Plivo by then: expired, never sent (Plivo's message_expiry is what is left). */
  @Prop()
  validUntil?: Date;

  /** Whether an MMS that Plivo refuses for its destination may go out as an SMS with links. */
  @Prop()
  fallbackToSms?: boolean;

  /**
   * Set while the message is `scheduled`: when a dispatcher may take it (its sendAt or pacing
   * slot, or the end of a dispatcher's lease). Dispatchers claim by it; removed on hand-over.
   */
  @Prop()
  dispatchDueAt?: Date;

  /** The token of the dispatcher holding the message until dispatchDueAt. */
  @Prop()
  dispatchLease?: string;

  /** A pacing slot reserved for the message: it may be handed to Plivo from then on. */
  @Prop()
  slotAt?: Date;

  /** The campaign this message is one recipient of (POST /campaigns). */
  @Prop({ type: SchemaTypes.ObjectId })
  campaignId?: Types.ObjectId;

  createdAt: Date;
  updatedAt: Date;
}

export const MessageLogSchema = SchemaFactory.createForClass(MessageLog);

// Status callbacks without our ref, and inbound dedupe (unique), find a message by Plivo's UUID.
// Partial, because a pending send has no UUID yet (and a unique index would count every missing
// UUID as the same null); an equality on a UUID implies $exists, so the planner uses it.
MessageLogSchema.index(
  { plivoMessageUuid: 1 },
  { unique: true, partialFilterExpression: { plivoMessageUuid: { $exists: true } } },
);
// GET /messages, newest first; the cursor is one range on _id (see list()). A client reads only
// its own messages, so its pages lead with clientId; an admin's unfiltered pages use the _id
// index (no declaration needed) and its filtered ones the three indexes without clientId.
MessageLogSchema.index({ clientId: 1, _id: -1 });
// GET /messages?status=…
MessageLogSchema.index({ clientId: 1, status: 1, _id: -1 });
MessageLogSchema.index({ status: 1, _id: -1 });
// GET /messages?recipient=…
MessageLogSchema.index({ clientId: 1, recipient: 1, _id: -1 });
MessageLogSchema.index({ recipient: 1, _id: -1 });
// GET /messages?direction=…
MessageLogSchema.index({ clientId: 1, direction: 1, _id: -1 });
MessageLogSchema.index({ direction: 1, _id: -1 });
// Status callback claims (callback-outbox claim()): the most overdue first try, then the most
// overdue retry, a range on the due time; the host and the client are in the key so the hosts
// and clients at their cap ($nin) are skipped on the index entries, not by fetching documents.
// Partial: only messages with something to deliver.
MessageLogSchema.index(
  { callbackDueAt: 1, callbackHost: 1, clientId: 1 },
  { partialFilterExpression: { callbackDueAt: { $exists: true } } },
);
MessageLogSchema.index(
  { callbackRetryAt: 1, callbackHost: 1, clientId: 1 },
  { partialFilterExpression: { callbackRetryAt: { $exists: true } } },
);
// Dispatchers claim the scheduled message due first: a range on one indexed key holding only
// messages the gateway still holds (partial: none once handed to Plivo, canceled or expired).
MessageLogSchema.index(
  { dispatchDueAt: 1 },
  { partialFilterExpression: { dispatchDueAt: { $exists: true } } },
);
// Sticky sender (senders/): a recipient's latest inbound message. Partial: no outbound writes.
const INBOUND_ONLY = { partialFilterExpression: { direction: 'inbound' } };
MessageLogSchema.index({ sender: 1, _id: -1 }, INBOUND_ONLY);
// Campaigns (partial: only their messages): one message per recipient, so a retried or resumed
// creation never adds one twice; and the progress counts and pages by status.
const inCampaign = { partialFilterExpression: { campaignId: { $exists: true } } };
MessageLogSchema.index({ campaignId: 1, recipient: 1 }, { unique: true, ...inCampaign });
MessageLogSchema.index({ campaignId: 1, status: 1, _id: 1 }, inCampaign);
