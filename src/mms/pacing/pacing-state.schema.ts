import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * The pacing state of one channel (`_id` mms or sms), shared by every replica: for the account
 * and for each capped sender number, the earliest time (epoch ms) its next message may be handed
 * to Plivo (`account`, `n<digits>`). One document per channel, so a slot is reserved in every bucket
 * that applies with one atomic write.
 */
@Schema({ collection: 'pacing', versionKey: false, strict: false })
export class PacingState {
  @Prop({ type: String })
  _id: string;

  /** The slot (epoch ms) the last reservation got, read back from its own post-image. */
  @Prop({ type: Number })
  lastSlot?: number | null;

  /** The earliest slot (epoch ms) the last reservation could have had, given or not. */
  @Prop()
  lastEarliest?: number;
}

export const PacingStateSchema = SchemaFactory.createForClass(PacingState);
