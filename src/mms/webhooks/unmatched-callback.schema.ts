import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * A signed status callback whose message we could not find yet (it raced the send response,
 * or carried no ref). Kept, acknowledged, and applied by the sweeper once the message appears.
 */
@Schema({ collection: 'unmatched_status_callbacks', versionKey: false })
export class UnmatchedCallback {
  @Prop({ required: true })
  eventKey: string;

  @Prop({ required: true })
  messageUuid: string;

  @Prop()
  ref?: string;

  /** The signed params as JSON text: Plivo's keys are not ours to trust as document keys. */
  @Prop({ required: true })
  paramsJson: string;

  @Prop({ required: true })
  receivedAt: Date;

  @Prop({ default: 0 })
  sweeps: number;
}
export const UnmatchedCallbackSchema = SchemaFactory.createForClass(UnmatchedCallback);
// A replayed orphan is stored once.
UnmatchedCallbackSchema.index({ eventKey: 1 }, { unique: true });
// The sweeper reads the recent ones (receivedAt range); MongoDB's TTL monitor deletes an orphan
// a week after it arrived (a callback for a message this service never sent stays unmatched).
UnmatchedCallbackSchema.index({ receivedAt: 1 }, { expireAfterSeconds: 7 * 24 * 60 * 60 });
