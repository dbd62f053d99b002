import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { FilterQuery, Model, mongo, Types } from 'mongoose';
import { AttemptRecord, MessageLog, StatusHistoryEntry } from './message-log.schema';
import { StatusChange, statusChangePipeline } from './status-change';
import { appendCallbackEventStages } from './callback-outbox';
import { inboundDocument } from './inbound-document';
import { outboundDocument } from './outbound-document';
import { definedEntries, literal } from './pipeline';
import { isDuplicateKeyError } from '../../shared/duplicate-key';
import {
  NewInboundMessage,
  NewOutboundMessage,
  Schedule,
  Readers,
  ListMessagesFilter,
  StatusChangeResult,
  MessageLogRecord,
  MessageMatch,
  ConditionalMatch,
  HeldCounts,
} from './message-log.types';

// The log's types, for the callers of the repository (one import for both).
export type * from './message-log.types';
export type { StatusChange } from './status-change';

@Injectable()
export class MessageLogRepository {
  constructor(@InjectModel(MessageLog.name) private readonly model: Model<MessageLog>) {}

  /**
   * Logged before Plivo is called (`pending`), or held for later (`scheduled`, with its
   * schedule): one insert of the complete document (outboundDocument), through the driver.
   */
  async createPending(input: NewOutboundMessage, schedule?: Schedule): Promise<Types.ObjectId> {
    const doc = outboundDocument(input, schedule, new Date());
    await this.model.collection.insertOne(doc, { ignoreUndefined: true });
    return doc._id;
  }

  /**
   * Moves a message forward, never backwards, in ONE atomic document write (a pipeline update,
   * so the decision reads the document the write changes): concurrent callbacks, replicas and
   * the send path can interleave freely. A change that would regress the status is appended to
   * the history marked not applied; a change whose eventKey the log already holds is a replay
   * and changes nothing. The post-image of this very write says which of the two happened.
   */
  async applyStatusChange(
    match: ConditionalMatch,
    change: StatusChange,
  ): Promise<StatusChangeResult> {
    return (await this.changeStatus(match, change)).result;
  }

  /**
   * The same one-write status change, for a writer that does not read which way it went (the
   * send path's `queued` and its failures): an update, so the server returns no document.
   */
  async recordStatusChange(match: ConditionalMatch, change: StatusChange): Promise<void> {
    await this.model.collection.updateOne(
      match,
      statusChangePipeline(change, new Types.ObjectId()),
    );
  }

  /**
   * A message still `pending` whose request stopped before Plivo answered (a crash, a kill):
   * Plivo may have it, so it becomes `unknown`, with its status callback event, in one write
   * conditional on `pending`: whoever else settles it meanwhile, it applies at most once
   * (`applied` false: another writer moved it first). One message by id, or the oldest logged
   * before `loggedBefore`: an id never postdates its log, so the {status, _id} index bounds the
   * scan to the pending messages with an older id, and the last write (updatedAt) decides.
   */
  async settlePendingAsUnknown(
    which: { _id: Types.ObjectId } | { loggedBefore: Date },
    reason: { detail: string; errorCode: string },
  ): Promise<{ _id: Types.ObjectId; clientId?: string; applied: boolean } | undefined> {
    const before = 'loggedBefore' in which ? which.loggedBefore : undefined;
    const filter = before
      ? {
          status: 'pending',
          _id: { $lt: Types.ObjectId.createFromTime(Math.floor(before.getTime() / 1000)) },
          // Pending since its last write: a held message is handed over (pending) long after
          // it was logged, so its createdAt says nothing of how long it has been pending.
          updatedAt: { $lt: before },
        }
      : { ...which, status: 'pending' };
    const { doc, result } = await this.changeStatus(
      filter,
      {
        status: 'unknown',
        source: 'api',
        detail: reason.detail,
        setIfApplied: { errorCode: reason.errorCode, errorMessage: reason.detail },
      },
      { clientId: 1 },
    );
    const applied = result === 'applied';
    return doc && { _id: doc._id as Types.ObjectId, clientId: doc.clientId, applied };
  }

  /** The one-write status change on the message `filter` matches (with `fields`: the oldest). */
  private async changeStatus(
    filter: mongo.Filter<mongo.Document>,
    change: StatusChange,
    fields?: Record<string, 1>,
  ): Promise<{ doc?: mongo.WithId<mongo.Document>; result: StatusChangeResult }> {
    const changeId = new Types.ObjectId();
    const after = await this.model.collection.findOneAndUpdate(
      filter,
      statusChangePipeline(change, changeId),
      {
        ...(fields ? { sort: { _id: 1 } } : {}),
        returnDocument: 'after',
        // An inclusion projection (status: 1): only the new history entry comes back.
        projection: { ...fields, status: 1, statusHistory: { $slice: -1 } },
        includeResultMetadata: false,
      },
    );
    if (!after) return { result: 'not-found' };
    const last = (after.statusHistory as StatusHistoryEntry[] | undefined)?.[0];
    if (!last?.changeId?.equals(changeId)) return { doc: after, result: 'duplicate' };
    return { doc: after, result: last.applied ? 'applied' : 'recorded' };
  }

  /**
   * Held messages of a channel due before `at`, and at `at`: all of them (they take the
   * account's slots) and those from `sender` (they take its own). One aggregation over the
   * partial dispatchDueAt index's range up to `at` (only held messages are in it), channel and
   * sender filtered on the documents: that range is the scheduled backlog, nothing else.
   */
  async countHeld(channel: 'mms' | 'sms', sender: string, at: Date): Promise<HeldCounts> {
    const groups = await this.model.collection
      .aggregate<{ _id: boolean; before: number; at: number }>([
        { $match: { dispatchDueAt: { $lte: at }, channel } },
        {
          $group: {
            _id: { $eq: ['$sender', sender] },
            before: { $sum: { $cond: [{ $lt: ['$dispatchDueAt', at] }, 1, 0] } },
            at: { $sum: { $cond: [{ $eq: ['$dispatchDueAt', at] }, 1, 0] } },
          },
        },
      ])
      .toArray();
    const sum = (key: 'before' | 'at', mine?: boolean) =>
      groups.reduce((n, g) => n + (mine === undefined || g._id === mine ? g[key] : 0), 0);
    return {
      channel: { before: sum('before'), at: sum('at') },
      sender: { before: sum('before', true), at: sum('at', true) },
    };
  }

  /** Sender and recipient of a message (a status callback's opt-out names them). */
  async findParties(match: MessageMatch) {
    return this.model
      .findOne(match, { sender: 1, recipient: 1, direction: 1 })
      .lean<{ _id: Types.ObjectId; sender: string; recipient: string; direction: string }>()
      .exec();
  }

  /**
   * Stores an inbound message once: a retried webhook hits the unique UUID index. With a
   * callbackUrl, its `message.received` event is in the same insert, so across retries and
   * replicas the event exists exactly once.
   */
  async createInbound(message: NewInboundMessage): Promise<'stored' | 'duplicate'> {
    try {
      await this.model.create(inboundDocument(message, new Date()));
      return 'stored';
    } catch (error) {
      if (isDuplicateKeyError(error)) return 'duplicate';
      throw error;
    }
  }

  /**
   * Plivo refused the MMS for this destination: the same log goes on as an SMS. The switch is a
   * status callback event of its own (same status, channel sms), appended in the same write.
   */
  async switchToSms(id: Types.ObjectId, reason: string, attempt: AttemptRecord): Promise<void> {
    await this.model.collection.updateOne({ _id: id }, [
      {
        $set: {
          __previous: '$status',
          channel: 'sms',
          fallbackReason: literal(reason),
          attempts: { $add: [{ $ifNull: ['$attempts', 0] }, 1] },
          attemptLog: {
            $concatArrays: [
              { $ifNull: ['$attemptLog', []] },
              [literal(Object.fromEntries(definedEntries({ ...attempt })))],
            ],
          },
          updatedAt: literal(new Date()),
        },
      },
      ...appendCallbackEventStages(true, { occurredAt: attempt.at, errorMessage: reason }),
    ]);
  }

  /** A failed attempt that will be retried: counted and kept, status unchanged. */
  async recordAttempt(id: Types.ObjectId, attempt: AttemptRecord): Promise<void> {
    await this.model.updateOne(
      { _id: id },
      {
        $inc: { attempts: 1 },
        $push: { attemptLog: attempt },
        $set: { errorMessage: attempt.error },
      },
    );
  }

  /** One message, if it exists and `readers` may see it (another client's is simply absent). */
  async findById(id: Types.ObjectId, readers: Readers = 'all'): Promise<MessageLogRecord | null> {
    const query: FilterQuery<MessageLog> = { _id: id };
    if (readers !== 'all') query.clientId = readers.clientId;
    return this.model.findOne(query).lean<MessageLogRecord>().exec();
  }

  async list(filter: ListMessagesFilter): Promise<MessageLogRecord[]> {
    const query: FilterQuery<MessageLog> = {};
    if (filter.readers !== 'all') query.clientId = filter.readers.clientId;
    if (filter.status) query.status = filter.status;
    if (filter.direction) query.direction = filter.direction;
    if (filter.recipient) query.recipient = filter.recipient;
    // Newest first by _id: an ObjectId starts with its creation second, and ids made by one
    // process increase, so the page boundary is one range on one indexed key (no $or).
    if (filter.cursor) query._id = { $lt: filter.cursor };
    return this.model
      .find(query)
      .sort({ _id: -1 })
      .limit(filter.limit)
      .lean<MessageLogRecord[]>()
      .exec();
  }
}
