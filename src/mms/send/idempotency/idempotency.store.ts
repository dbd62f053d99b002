import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { IdempotencyRecord } from './idempotency-record.schema';
import { isDuplicateKeyError } from '../../../shared/duplicate-key';

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

export type Reservation =
  | { outcome: 'reserved' }
  | { outcome: 'in-flight' }
  | { outcome: 'mismatch' }
  | { outcome: 'completed'; status: number; body: Record<string, unknown> };

@Injectable()
export class IdempotencyStore {
  constructor(
    @InjectModel(IdempotencyRecord.name) private readonly records: Model<IdempotencyRecord>,
  ) {}

  /** Claims the key for this request, or says why it cannot (one round trip when new). */
  async reserve(id: string, requestHash: string, now = new Date()): Promise<Reservation> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await this.records.create({
          _id: id,
          requestHash,
          state: 'in-flight',
          createdAt: now,
          expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_MS),
        });
        return { outcome: 'reserved' };
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
      const existing = await this.records.findById(id).lean().exec();
      if (!existing) continue; // released between our insert and our read: try again
      // Expired but not yet removed by the TTL monitor (it wakes once a minute): gone for us.
      if (existing.expiresAt <= now) {
        await this.records.deleteOne({ _id: id, expiresAt: existing.expiresAt });
        continue;
      }
      if (existing.requestHash !== requestHash) return { outcome: 'mismatch' };
      if (existing.state === 'in-flight') return { outcome: 'in-flight' };
      return { outcome: 'completed', status: existing.status ?? 200, body: existing.body ?? {} };
    }
    return { outcome: 'in-flight' };
  }

  async complete(id: string, status: number, body: Record<string, unknown>): Promise<void> {
    await this.records.updateOne(
      { _id: id, state: 'in-flight' },
      { $set: { state: 'done', status, body } },
    );
  }

  /** Frees the key after a failure that sent nothing, so the client may retry with it. */
  async release(id: string): Promise<void> {
    await this.records.deleteOne({ _id: id, state: 'in-flight' });
  }
}
