import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { FilterQuery, Model, Types } from 'mongoose';
import { isDuplicateKeyError } from '../../shared/duplicate-key';
import { OptOut, OptOutChange } from './opt-out.schema';

export type OptOutRecord = OptOut & { _id: Types.ObjectId };

export interface ListOptOutsFilter {
  recipient?: string;
  /** The records of any of these senders (a number's opt-out scope). */
  senders?: readonly string[];
  limit: number;
  /** The _id of the last record of the previous page. */
  cursor?: Types.ObjectId;
}

/**
 * The opt-out list: every read and write of `opt_outs`. Each change is ONE conditional write on
 * the unique (sender, recipient) index, so replicas, retries and the API interleave freely: a
 * change applies only when it changes the state, a keyword acts at most once per inbound
 * message whatever it changed (its MessageUUID is in the history) and an error-200 opt-out at
 * most once per message (its id is in the history), however often or late Plivo retries (or
 * anyone replays) the webhook or callback.
 */
@Injectable()
export class OptOutsRepository {
  constructor(@InjectModel(OptOut.name) private readonly model: Model<OptOut>) {}

  /**
   * The (sender, recipient) pairs opted out among these senders and recipients: one read on
   * the unique {sender, recipient} index (a campaign's check, a batch at a time).
   */
  async optedOutPairs(senders: string[], recipients: string[]) {
    return this.model
      .find(
        { sender: { $in: senders }, recipient: { $in: recipients }, optedOut: true },
        { sender: 1, recipient: 1, _id: 0 },
      )
      .lean<{ sender: string; recipient: string }[]>()
      .exec();
  }

  /**
   * The send path's check: whether the recipient opted out of any of `senders` (a number's
   * opt-out scope). One read on the unique (sender, recipient) index, one seek per sender,
   * nothing cached; through the driver (a filter of strings needs none of Mongoose's casting,
   * the answer no hydration).
   */
  async isOptedOut(senders: readonly string[], recipient: string): Promise<boolean> {
    const doc = await this.model.collection.findOne(
      { sender: anyOf(senders), recipient, optedOut: true },
      { projection: { _id: 1 } },
    );
    return doc !== null;
  }

  /** The records of the recipient with any of `senders` (at most one each). */
  async findAll(senders: readonly string[], recipient: string): Promise<OptOutRecord[]> {
    return this.model
      .find({ sender: anyOf(senders), recipient })
      .lean<OptOutRecord[]>()
      .exec();
  }

  /** Opts the pair out (creating its record); false when it already was (or this change ran). */
  async optOut(sender: string, recipient: string, change: Omit<OptOutChange, 'action'>) {
    try {
      const result = await this.model.updateOne(
        { sender, recipient, optedOut: { $ne: true }, ...notYetApplied(change) },
        { $set: { optedOut: true }, $push: { history: { ...change, action: 'opt-out' } } },
        { upsert: true },
      );
      return result.modifiedCount + result.upsertedCount > 0;
    } catch (error) {
      // The pair exists but the filter did not match it: already opted out (or this change ran).
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  /** Opts the pair back in; false when it was not opted out (or this change ran). */
  async optIn(sender: string, recipient: string, change: Omit<OptOutChange, 'action'>) {
    const result = await this.model.updateOne(
      { sender, recipient, optedOut: true, ...notYetApplied(change) },
      { $set: { optedOut: false }, $push: { history: { ...change, action: 'opt-in' } } },
    );
    return result.modifiedCount > 0;
  }

  /**
   * A STOP or START from the inbound message `change.inboundMessageId`, acted on at most once
   * whatever it changed: ONE pipeline write (an upsert) that appends its history entry, marked
   * `applied: false` when the pair already was in that state, unless the history has that
   * MessageUUID. So a "Yes" that changed nothing, retried or replayed after a later STOP, finds
   * itself in the history and cannot opt the person back in. 'replayed': it had acted before.
   * `scopeAlready`: the person already was in that state at the number's scope (another number
   * of its pool), so the entry is `applied: false` whatever this record held.
   */
  async applyKeyword(
    sender: string,
    recipient: string,
    action: 'opt-out' | 'opt-in',
    change: Omit<OptOutChange, 'action' | 'applied'> & { inboundMessageId: string },
    scopeAlready = false,
  ): Promise<'changed' | 'unchanged' | 'replayed'> {
    const optedOut = action === 'opt-out';
    const entry = { ...change, action };
    const flips = scopeAlready ? false : { $ne: [{ $ifNull: ['$optedOut', false] }, optedOut] };
    // Every field of the entry is a $literal: the keyword's text must never read as an expression.
    const pipeline = [
      {
        $set: {
          history: {
            $concatArrays: [
              { $ifNull: ['$history', []] },
              [{ $cond: [flips, { $literal: entry }, { $literal: { ...entry, applied: false } }] }],
            ],
          },
          optedOut: { $literal: optedOut },
          createdAt: { $ifNull: ['$createdAt', change.at] },
          updatedAt: { $literal: change.at },
        },
      },
    ];
    // Two tries: the first may lose a race to create the pair; a second duplicate key means the
    // pair exists and its history already has this MessageUUID.
    for (let attempt = 1; ; attempt++) {
      try {
        const after = await this.model.collection.findOneAndUpdate(
          { sender, recipient, 'history.inboundMessageId': { $ne: change.inboundMessageId } },
          pipeline,
          { upsert: true, returnDocument: 'after', includeResultMetadata: false },
        );
        // This message's own entry decides. Read back from the record when the write returned
        // no document (an upsert that raced the pair's creation; see database-conformance).
        const own = (history: unknown) =>
          (history as OptOutChange[] | undefined)?.find(
            (entry) => entry.inboundMessageId === change.inboundMessageId,
          );
        const entry = own(after?.history) ?? own((await this.find(sender, recipient))?.history);
        if (entry) return entry.applied === false ? 'unchanged' : 'changed';
        if (attempt >= 3) throw new Error('Opt-out keyword: the write left no entry (three tries)');
        continue;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        if (attempt === 2) return 'replayed';
      }
    }
  }

  async find(sender: string, recipient: string): Promise<OptOutRecord | null> {
    return this.model.findOne({ sender, recipient }).lean<OptOutRecord>().exec();
  }

  /**
   * Newest first; each page is one range on an index that leads with the filter (several
   * senders: one range per sender on (sender, _id), merged in _id order).
   */
  async list(filter: ListOptOutsFilter): Promise<OptOutRecord[]> {
    const query: FilterQuery<OptOut> = {};
    if (filter.recipient) query.recipient = filter.recipient;
    if (filter.senders) query.sender = anyOf(filter.senders);
    if (filter.cursor) query._id = { $lt: filter.cursor };
    return this.model
      .find(query)
      .sort({ _id: -1 })
      .limit(filter.limit)
      .lean<OptOutRecord[]>()
      .exec();
  }
}

/** One sender as an equality, several as $in: both seek the indexes that lead with sender. */
function anyOf(senders: readonly string[]): string | { $in: string[] } {
  return senders.length === 1 ? senders[0] : { $in: [...senders] };
}

/**
 * A change caused by a message applies at most once per message: a keyword change carries its
 * inbound MessageUUID, an error-200 opt-out our message id, and a record whose history already
 * has that id is left alone. So Plivo replaying (or delivering late) the same webhook or callback
 * after a later START or API opt-in changes nothing.
 */
function notYetApplied(change: Omit<OptOutChange, 'action'>): FilterQuery<OptOut> {
  const filter: FilterQuery<OptOut> = {};
  if (change.inboundMessageId)
    filter['history.inboundMessageId'] = { $ne: change.inboundMessageId };
  if (change.messageId) filter['history.messageId'] = { $ne: change.messageId };
  return filter;
}
