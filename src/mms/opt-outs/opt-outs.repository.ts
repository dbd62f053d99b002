import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { FilterQuery, Model, Types } from 'mongoose';
import { isDuplicateKeyError } from '../../shared/duplicate-key';
import { OptOut, OptOutChange } from './opt-out.schema';

export type OptOutRecord = OptOut & { _id: Types.ObjectId };

export interface ListOptOutsFilter {
  recipient?: string;
  sender?: string;
  limit: number;
  /** The _id of the last record of the previous page. */
  cursor?: Types.ObjectId;
}

/**
 * The opt-out list: every read and write of `opt_outs`. Each change is ONE conditional write on
 * the unique (sender, recipient) index, so replicas, retries and the API interleave freely: a
 * change applies only when it changes the state, a keyword change at most once per inbound
 * message (its MessageUUID is in the history) and an error-200 opt-out at most once per message
 * (its id is in the history), however often or late Plivo retries the webhook or callback.
 */
@Injectable()
export class OptOutsRepository {
  constructor(@InjectModel(OptOut.name) private readonly model: Model<OptOut>) {}

  /** The send path's check: one read on the unique index, nothing cached. */
  async isOptedOut(sender: string, recipient: string): Promise<boolean> {
    const doc = await this.model
      .findOne({ sender, recipient }, { optedOut: 1, _id: 0 })
      .lean<{ optedOut?: boolean }>()
      .exec();
    return doc?.optedOut === true;
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

  async find(sender: string, recipient: string): Promise<OptOutRecord | null> {
    return this.model.findOne({ sender, recipient }).lean<OptOutRecord>().exec();
  }

  /** Newest first; each page is one range on an index that leads with the filter. */
  async list(filter: ListOptOutsFilter): Promise<OptOutRecord[]> {
    const query: FilterQuery<OptOut> = {};
    if (filter.recipient) query.recipient = filter.recipient;
    if (filter.sender) query.sender = filter.sender;
    if (filter.cursor) query._id = { $lt: filter.cursor };
    return this.model
      .find(query)
      .sort({ _id: -1 })
      .limit(filter.limit)
      .lean<OptOutRecord[]>()
      .exec();
  }
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
