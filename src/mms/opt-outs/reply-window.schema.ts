import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * The last automatic reply per (our number, their number, keyword kind): a reply claims its
 * window with one conditional write on `_id`, so across replicas at most one is sent per window.
 */
@Schema({ collection: 'opt_out_reply_windows', versionKey: false })
export class ReplyWindow {
  /** `${sender}|${recipient}|${kind}` */
  @Prop({ type: String, required: true })
  _id: string;

  /** The window is closed until then. */
  @Prop({ required: true })
  until: Date;

  /** Removed a day after the window closed (TTL index below). */
  @Prop({ required: true })
  expiresAt: Date;
}

export const ReplyWindowSchema = SchemaFactory.createForClass(ReplyWindow);
ReplyWindowSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
