import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { HydratedDocument } from 'mongoose';

@Schema({ _id: false, versionKey: false })
export class LeanStatusEntry {
  @Prop({ required: true }) status: string;
  @Prop({ required: true }) at: Date;
  @Prop({ required: true }) source: string;
}

/** The lean baseline's message log: the fields a send writes, in its own collection. */
@Schema({ collection: 'bench_lean_logs', timestamps: true, versionKey: false })
export class LeanMessageLog {
  @Prop({ required: true }) sender: string;
  @Prop({ required: true }) recipient: string;
  @Prop({ required: true }) text: string;
  @Prop({ type: [String], default: [] }) mediaUrls: string[];
  @Prop({ required: true }) status: string;
  @Prop({ required: true }) statusRank: number;
  @Prop({ type: [SchemaFactory.createForClass(LeanStatusEntry)], default: [] })
  statusHistory: LeanStatusEntry[];
  @Prop() plivoMessageUuid?: string;
}

export type LeanMessageLogDocument = HydratedDocument<LeanMessageLog>;
export const LeanMessageLogSchema = SchemaFactory.createForClass(LeanMessageLog);
// The indexes the gateway's log carries (its reads need them), so inserts cost the same:
// the status callback's lookup by Plivo's UUID, and the list filters newest first.
LeanMessageLogSchema.index(
  { plivoMessageUuid: 1 },
  { unique: true, partialFilterExpression: { plivoMessageUuid: { $exists: true } } },
);
for (const field of ['status', 'recipient']) LeanMessageLogSchema.index({ [field]: 1, _id: -1 });
