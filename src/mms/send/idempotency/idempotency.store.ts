import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { IdempotencyRecord } from './idempotency-record.schema';
import { isDuplicateKeyError } from '../../../shared/duplicate-key';

/** How long a key and its answer are kept. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** Who holds a key: completing or freeing it is conditional on this token. */
export type Holder = string | undefined;

export type Reservation =
  /** The key is ours (as `holder`): send under `messageId`. */
  | { outcome: 'reserved'; messageId: Types.ObjectId; holder: string }
  | { outcome: 'in-flight' }
  | { outcome: 'mismatch' }
  | { outcome: 'completed'; status: number; body: Record<string, unknown> }
  /** The holder's lease ran out without an answer (its process died, most likely). */
  | { outcome: 'lapsed'; messageId?: Types.ObjectId; holder: Holder };

/** Matches the key only while `holder` still holds it (keys from before holders: none set). */
const heldBy = (holder: Holder) => (holder ? { holder } : { holder: { $exists: false } });

@Injectable()
export class IdempotencyStore {
  constructor(
    @InjectModel(IdempotencyRecord.name) private readonly records: Model<IdempotencyRecord>,
  ) {}

  /** Claims the key for this request, or says why it cannot (one round trip when new). */
  async reserve(
    id: string,
    requestHash: string,
    leaseMs: number,
    now = new Date(),
  ): Promise<Reservation> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const messageId = new Types.ObjectId();
      const holder = new Types.ObjectId().toHexString();
      try {
        await this.records.create({
          _id: id,
          requestHash,
          state: 'in-flight',
          holder,
          messageId: messageId.toHexString(),
          leaseUntil: new Date(now.getTime() + leaseMs),
          createdAt: now,
          expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_MS),
        });
        return { outcome: 'reserved', messageId, holder };
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
      if (existing.state === 'done')
        return { outcome: 'completed', status: existing.status ?? 200, body: existing.body ?? {} };
      const leaseUntil = existing.leaseUntil ?? new Date(existing.createdAt.getTime() + leaseMs);
      if (leaseUntil > now) return { outcome: 'in-flight' };
      return {
        outcome: 'lapsed',
        holder: existing.holder,
        messageId: existing.messageId ? new Types.ObjectId(existing.messageId) : undefined,
      };
    }
    return { outcome: 'in-flight' };
  }

  /**
   * Takes over a lapsed key for a fresh attempt, conditional on the holder seen, so of several
   * retries racing after a crash exactly one wins. `messageId` is the id to send under: the
   * lapsed holder's own when it never logged, so that if it is in fact still alive, only one
   * of the two can create that log (its unique _id is the fence) and only that one sends.
   */
  async takeOver(
    id: string,
    lapsed: Holder,
    messageId: Types.ObjectId,
    leaseMs: number,
    now = new Date(),
  ): Promise<{ messageId: Types.ObjectId; holder: string } | undefined> {
    const holder = new Types.ObjectId().toHexString();
    const result = await this.records.updateOne(
      { _id: id, state: 'in-flight', ...heldBy(lapsed) },
      {
        $set: {
          holder,
          messageId: messageId.toHexString(),
          leaseUntil: new Date(now.getTime() + leaseMs),
        },
      },
    );
    return result.modifiedCount === 1 ? { messageId, holder } : undefined;
  }

  /** Keeps the answer for 24 h from now, if `holder` still holds the key. */
  async complete(
    id: string,
    holder: Holder,
    status: number,
    body: Record<string, unknown>,
    now = new Date(),
  ): Promise<void> {
    await this.records.updateOne(
      { _id: id, state: 'in-flight', ...heldBy(holder) },
      {
        $set: {
          state: 'done',
          status,
          body,
          expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_MS),
        },
        $unset: { leaseUntil: 1 },
      },
    );
  }

  /** Frees the key after a failure that sent nothing, so the client may retry with it. */
  async release(id: string, holder: Holder): Promise<void> {
    await this.records.deleteOne({ _id: id, state: 'in-flight', ...heldBy(holder) });
  }
}
