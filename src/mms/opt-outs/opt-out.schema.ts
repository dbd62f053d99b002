import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Types } from 'mongoose';

export const OPT_OUT_SOURCES = ['keyword', 'callback-error-200', 'api'] as const;
export type OptOutSource = (typeof OPT_OUT_SOURCES)[number];

/** One change of a (sender, recipient) pair's state, and what caused it. */
@Schema({ _id: false })
export class OptOutChange {
  @Prop({ required: true, enum: ['opt-out', 'opt-in'], type: String })
  action: 'opt-out' | 'opt-in';

  @Prop({ required: true, enum: OPT_OUT_SOURCES, type: String })
  source: OptOutSource;

  /** keyword: Plivo's MessageUUID of the inbound STOP/START (also what makes a retry a no-op). */
  @Prop()
  inboundMessageId?: string;

  /** callback-error-200: our id of the message Plivo refused. */
  @Prop()
  messageId?: string;

  /** api: the client (admin key) that made the change. */
  @Prop()
  clientId?: string;

  /**
   * false: a keyword that found the pair already in that state (a second STOP, a "Yes" from
   * someone never opted out), kept so that its MessageUUID acts once. Absent: applied.
   */
  @Prop()
  applied?: boolean;

  /** The keyword received, Plivo's reason, or the reason the API caller gave. */
  @Prop()
  reason?: string;

  @Prop({ required: true })
  at: Date;
}
export const OptOutChangeSchema = SchemaFactory.createForClass(OptOutChange);

/**
 * Whether `recipient` has opted out of messages from our number `sender`: one document per
 * pair (unique), its current state and every change that led there.
 */
@Schema({ collection: 'opt_outs', timestamps: true, versionKey: false })
export class OptOut {
  _id: Types.ObjectId;

  /** Our number (the one that received the STOP, or that sent the refused message). */
  @Prop({ required: true })
  sender: string;

  /** The person's number. */
  @Prop({ required: true })
  recipient: string;

  @Prop({ required: true })
  optedOut: boolean;

  /**
   * Every change, oldest first, and every STOP/START keyword (`applied: false` when it changed
   * nothing). Not capped: retries and our own traffic add none, so it grows with the person's
   * own keyword messages.
   */
  @Prop({ type: [OptOutChangeSchema], default: [] })
  history: OptOutChange[];

  createdAt: Date;
  updatedAt: Date;
}

export const OptOutSchema = SchemaFactory.createForClass(OptOut);
// The send path's one read (isOptedOut), every change's conditional write, PUT/DELETE.
OptOutSchema.index({ sender: 1, recipient: 1 }, { unique: true });
// GET /opt-outs?number=… and ?sender=…, newest first, the cursor a range on _id.
OptOutSchema.index({ recipient: 1, _id: -1 });
OptOutSchema.index({ sender: 1, _id: -1 });
