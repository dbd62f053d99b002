import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { AllConfig } from '../../config/config.type';
import { DispatchConfig } from '../../config/dispatch.config';
import { isDuplicateKeyError } from '../../shared/duplicate-key';
import { PacingState } from './pacing-state.schema';

export type Channel = 'mms' | 'sms';

/** A reservation: the slot, or (refused) the earliest slot there was. */
export type Reservation = { slot: Date } | { refusedUntil: Date };

/** A cap: the field holding its next free time (epoch ms), and its interval. */
export interface Bucket {
  field: string;
  intervalMs: number;
}

/**
 * A campaign's own cap (its maxPerSecond): the bucket `c<campaignId>` in the channel's document,
 * reserved with the account's and the sender's in the same write.
 */
export function campaignBucket(campaignId: string, maxPerSecond: number): Bucket {
  return { field: `c${campaignId}`, intervalMs: Math.ceil(1000 / maxPerSecond) };
}

/**
 * Plivo's rates, kept across replicas in MongoDB (the `pacing` collection): each cap is a
 * bucket holding the earliest time its next message may go, and a reservation takes the latest
 * of its buckets and moves each of them one interval past it, in one atomic update of the
 * channel's document. No replica can take a slot another one holds, with or without Redis, and
 * a replica that dies holds nothing (a reserved slot is a time, not a lock).
 */
@Injectable()
export class Pacer {
  private readonly settings: DispatchConfig;

  constructor(
    @InjectModel(PacingState.name) private readonly model: Model<PacingState>,
    config: ConfigService<AllConfig, true>,
  ) {
    this.settings = config.get('dispatch', { infer: true });
  }

  /** Whether any cap applies to this channel (none: nothing to reserve). */
  paces(channel: Channel): boolean {
    return this.settings.account[channel] > 0 || this.settings.sender[channel] > 0;
  }

  /**
   * How late a reserved slot may still be used: at most 100 ms, and at most half the shortest
   * interval of the channel's caps (so a late one and the next on time stay half apart).
   */
  slotGraceMs(channel: Channel, extra?: Bucket): number {
    const rates = [this.settings.account[channel], this.settings.sender[channel]];
    const intervals = rates.filter((r) => r > 0).map((r) => Math.ceil(1000 / r));
    if (extra) intervals.push(extra.intervalMs);
    return Math.min(100, ...intervals.map((i) => i / 2));
  }

  /**
   * The earliest slot at or after `notBefore` in every bucket of (channel, sender), reserved
   * when it is no later than `latest`; otherwise nothing changes and the earliest is told.
   * `extra`: one more bucket of this reservation (a campaign's own cap).
   */
  async reserve(
    channel: Channel,
    sender: string,
    notBefore: Date,
    latest: Date,
    extra?: Bucket,
  ): Promise<Reservation> {
    const buckets = [...this.bucketsOf(channel, sender), ...(extra ? [extra] : [])];
    if (buckets.length === 0)
      return notBefore <= latest ? { slot: notBefore } : { refusedUntil: notBefore };
    // Epoch milliseconds, not dates: a slot is only ever computed with.
    const from = notBefore.getTime();
    const earliest = {
      $max: [from, ...buckets.map((b) => ({ $ifNull: [`$${b.field}`, from] }))],
    };
    const moved = Object.fromEntries(
      buckets.map((b) => [
        b.field,
        {
          $cond: [
            '$__ok',
            { $add: ['$__t', b.intervalMs] },
            { $ifNull: [`$${b.field}`, '$$REMOVE'] },
          ],
        },
      ]),
    );
    const reserveOnce = () =>
      this.model.collection
        .findOneAndUpdate(
          { _id: channel as never },
          [
            { $set: { __t: earliest } },
            { $set: { __ok: { $lte: ['$__t', latest.getTime()] } } },
            {
              $set: {
                ...moved,
                lastSlot: { $cond: ['$__ok', '$__t', null] },
                lastEarliest: '$__t',
              },
            },
            { $unset: ['__t', '__ok'] },
          ],
          {
            upsert: true,
            returnDocument: 'after',
            projection: { lastSlot: 1, lastEarliest: 1 },
            includeResultMetadata: false,
          },
        )
        .catch((error: unknown) => {
          if (isDuplicateKeyError(error)) return null;
          throw error;
        });
    // The channel's first reservation is an upsert: racing ones lose to the insert (E11000, or
    // no document from a server that does not retry it). Tried again, they update that document.
    let after = await reserveOnce();
    for (let attempt = 1; !after && attempt < 3; attempt++) after = await reserveOnce();
    // Still nothing: the database is misbehaving, which says nothing about the backlog.
    if (!after) throw new Error('Pacing: the reservation returned no document (three tries)');
    const slot = after.lastSlot as number | null | undefined;
    if (typeof slot === 'number') return { slot: new Date(slot) };
    const earliestMs = after.lastEarliest as number | undefined;
    return { refusedUntil: new Date(earliestMs ?? from) };
  }

  /** Removes a bucket that no message will reserve again (a campaign's, once it ended). */
  async forget(field: string): Promise<void> {
    await this.model.collection.updateMany(
      { _id: { $in: ['mms', 'sms'] as never[] } },
      { $unset: { [field]: '' } },
    );
  }

  /**
   * The earliest slot for a message due at `at`, reserving nothing, when the gateway holds
   * `held.before` messages due earlier and `held.at` due at the same time: the earlier ones take
   * slots from each cap's next free one, then (from `at` or later) those due with it.
   */
  async estimate(
    channel: Channel,
    sender: string,
    at: Date,
    held: { before: number; at: number } = { before: 0, at: 0 },
  ): Promise<Date> {
    const buckets = this.bucketsOf(channel, sender);
    if (buckets.length === 0) return at;
    const doc = await this.model.collection.findOne({ _id: channel as never });
    const now = Date.now();
    const times = buckets.map((b) => {
      const next = doc?.[b.field];
      const free = Math.max(now, typeof next === 'number' ? next : now);
      return Math.max(at.getTime(), free + held.before * b.intervalMs) + held.at * b.intervalMs;
    });
    return new Date(Math.max(...times));
  }

  /** Whether each sender number has a cap of its own on this channel. */
  pacesSenders(channel: Channel): boolean {
    return this.settings.sender[channel] > 0;
  }

  /**
   * `estimate` for several senders of one channel (a pool), from one read of its document: the
   * earliest slot each could take at or after `at`, in the order given.
   */
  async estimateEach(channel: Channel, senders: string[], at: Date): Promise<Date[]> {
    if (!this.paces(channel)) return senders.map(() => at);
    const doc = await this.model.collection.findOne({ _id: channel as never });
    const now = Date.now();
    return senders.map((sender) => {
      const times = this.bucketsOf(channel, sender).map((b) => {
        const next = doc?.[b.field];
        return Math.max(at.getTime(), now, typeof next === 'number' ? next : now);
      });
      return new Date(Math.max(at.getTime(), ...times));
    });
  }

  private bucketsOf(channel: Channel, sender: string): Bucket[] {
    const buckets: Bucket[] = [];
    const account = this.settings.account[channel];
    const perSender = this.settings.sender[channel];
    if (account > 0) buckets.push({ field: 'account', intervalMs: Math.ceil(1000 / account) });
    if (perSender > 0)
      buckets.push({
        field: `n${sender.replace(/\D/g, '')}`,
        intervalMs: Math.ceil(1000 / perSender),
      });
    return buckets;
  }
}
