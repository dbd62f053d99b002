import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';

/**
 * creating: its messages are being written (not yet due; a creation that died stays here until
 * the same request, with its Idempotency-Key, completes it); scheduled: due later; running;
 * paused; canceled; completed: every message final or canceled.
 */
export const CAMPAIGN_STATUSES = [
  'creating',
  'scheduled',
  'running',
  'paused',
  'canceled',
  'completed',
] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/** Quiet hours: messages go out only between `start` and `end` (HH:MM) in `timeZone`. */
@Schema({ _id: false })
export class DeliveryWindow {
  /** HH:MM, 24 h. */
  @Prop({ required: true })
  start: string;

  /** HH:MM; before `start`: a window across midnight. Never equal to start. */
  @Prop({ required: true })
  end: string;

  /** An IANA time zone (Intl), e.g. America/New_York. */
  @Prop({ required: true })
  timeZone: string;
}
export const DeliveryWindowSchema = SchemaFactory.createForClass(DeliveryWindow);

/** What creation found in the request's recipients. */
@Schema({ _id: false })
export class CampaignCounts {
  /** Recipients given. */
  @Prop({ required: true })
  total: number;

  /** Dropped: the same number (after E.164 normalisation) again. */
  @Prop({ required: true })
  duplicates: number;

  /** Suppressed: opted out of the pool at creation (checked again at dispatch). */
  @Prop({ required: true })
  optedOut: number;

  /** Refused: not a valid number (reported by position). */
  @Prop({ required: true })
  invalid: number;

  /** Messages created. */
  @Prop({ required: true })
  scheduled: number;
}
export const CampaignCountsSchema = SchemaFactory.createForClass(CampaignCounts);

/**
 * One request to many recipients. Its messages are ordinary messages (`message_logs`, with
 * `campaignId`), created in bulk and sent by the dispatch queue; this document holds what they
 * share and the campaign's own state.
 */
@Schema({ collection: 'campaigns', timestamps: true, versionKey: false })
export class Campaign {
  _id: Types.ObjectId;

  @Prop({ required: true })
  clientId: string;

  @Prop({ required: true })
  name: string;

  @Prop({ required: true, enum: CAMPAIGN_STATUSES, type: String })
  status: CampaignStatus;

  @Prop({ required: true })
  messageText: string;

  @Prop({ type: [String], default: [] })
  mediaUrls: string[];

  @Prop({ type: [String], default: [] })
  mediaIds: string[];

  /** The number every message goes from, when the request named one. */
  @Prop()
  senderNumber?: string;

  @Prop({ required: true })
  sendAt: Date;

  @Prop({ required: true })
  validUntil: Date;

  @Prop({ type: DeliveryWindowSchema })
  deliveryWindow?: DeliveryWindow;

  /** The campaign's own cap, below the configured rates (a pacing bucket of its own). */
  @Prop()
  maxPerSecond?: number;

  @Prop()
  statusCallbackUrl?: string;

  @Prop({ type: CampaignCountsSchema, required: true })
  counts: CampaignCounts;

  /** Whether an MMS that Plivo refuses for its destination may go out as an SMS with links. */
  @Prop()
  fallbackToSms?: boolean;

  /** The first hand-over to Plivo, and when the last message became final or canceled. */
  @Prop()
  startedAt?: Date;

  @Prop()
  finishedAt?: Date;

  /**
   * When the campaign monitor looks at it next (completion, a creation that died, the
   * completion event's next attempt); unset once nothing is left to do. Set at insert.
   */
  @Prop({ default: () => new Date() })
  monitorDueAt?: Date;

  /** The token of the monitor that holds it (monitorDueAt is then its lease's end). */
  @Prop()
  monitorLease?: string;

  /** The signed `campaign.completed` event to its statusCallbackUrl, and how its delivery went. */
  @Prop({ type: Object })
  completionEvent?: CompletionEvent;

  createdAt: Date;
  updatedAt: Date;
}

/** pending: due at the campaign's monitorDueAt; delivered (2xx); stopped (410); abandoned. */
export interface CompletionEvent {
  /** `evt_` + 24 hex, also in X-Mms-Event-Id. */
  id: string;
  occurredAt: Date;
  state: 'pending' | 'delivered' | 'stopped' | 'abandoned';
  attempts: number;
  lastHttpStatus?: number;
  lastError?: string;
}

export const CampaignSchema = SchemaFactory.createForClass(Campaign);
// GET /campaigns: the caller's own, newest first, the cursor a range on _id.
CampaignSchema.index({ clientId: 1, _id: -1 });
// The campaign monitor's claim: the campaign due first (only campaigns with work left).
CampaignSchema.index(
  { monitorDueAt: 1 },
  { partialFilterExpression: { monitorDueAt: { $exists: true } } },
);
