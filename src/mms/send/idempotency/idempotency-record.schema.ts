import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * One Idempotency-Key of one client. The _id is `${client}:${key}`, so the primary-key index
 * makes "first request wins" hold across replicas with no extra index.
 */
@Schema({ collection: 'idempotency_keys', versionKey: false })
export class IdempotencyRecord {
  @Prop({ type: String, required: true })
  _id: string;

  /** SHA-256 of the canonical request body: the same key with another body is a 422. */
  @Prop({ required: true })
  requestHash: string;

  @Prop({ required: true, enum: ['in-flight', 'done'], type: String })
  state: 'in-flight' | 'done';

  /**
   * The message log id this request will use, chosen at reservation (hex). The log is written
   * before Plivo is called, so a lapsed reservation whose log does not exist sent nothing.
   */
  @Prop()
  messageId?: string;

  /**
   * Who holds the key: a token per reservation and per take-over. Completing or freeing the
   * key is conditional on it, so a holder that outlived its lease cannot touch its successor's.
   */
  @Prop()
  holder?: string;

  /**
   * Until when the request holding the key is presumed alive (about the longest request). After
   * it, the key is answered from the message log instead of "in flight" (absent on keys written
   * before leases existed: their lease is counted from createdAt).
   */
  @Prop()
  leaseUntil?: Date;

  @Prop()
  status?: number;

  @Prop({ type: Object })
  body?: Record<string, unknown>;

  @Prop({ required: true })
  createdAt: Date;

  @Prop({ required: true })
  expiresAt: Date;
}

export const IdempotencyRecordSchema = SchemaFactory.createForClass(IdempotencyRecord);
// MongoDB's TTL monitor deletes a key once expiresAt has passed (it runs every 60 s, so reads
// also treat an expired key as absent).
IdempotencyRecordSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
