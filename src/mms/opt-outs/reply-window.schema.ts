import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * The last automatic reply per (our number, their number, keyword kind): a reply claims its
 * window with one atomic write on `_id`, timed by the database's clock, so across replicas at
 * most one is sent per window.
 */
@Schema({ collection: 'opt_out_reply_windows', versionKey: false })
export class ReplyWindow {
  /** `${sender}|${recipient}|${kind}` */
  @Prop({ type: String, required: true })
  _id: string;

  /** The claim holding the window (ReplyWindows.release gives back only its own claim). */
  @Prop({ type: String })
  token?: string;

  /** The window is closed until then (the database's clock, $$NOW). */
  @Prop({ required: true })
  until: Date;

  /** Removed a day after the window closed (TTL index below). */
  @Prop({ required: true })
  expiresAt: Date;
}

export const ReplyWindowSchema = SchemaFactory.createForClass(ReplyWindow);
ReplyWindowSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
