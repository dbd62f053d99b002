import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { FilterQuery, Model, Types, UpdateQuery } from 'mongoose';
import { KeyedSerializer } from '../common/keyed-serializer';
import { MessageStatus, STATUS_RANK, StatusSource } from './message-status';
import { InboundMessage } from './webhooks/plivo-callback';
import { AttemptRecord, MessageLog, StatusHistoryEntry } from './schemas/message-log.schema';

export interface NewOutboundMessage {
  channel: 'mms' | 'sms';
  fallbackReason?: string;
  sender: string;
  recipient: string;
  text: string;
  mediaUrls: string[];
  mediaIds: string[];
}

export interface ListMessagesFilter {
  status?: MessageStatus;
  direction?: 'outbound' | 'inbound';
  recipient?: string;
  limit: number;
  cursor?: { createdAt: Date; id: Types.ObjectId };
}

export interface StatusChange {
  status: MessageStatus;
  source: StatusSource;
  at?: Date;
  eventKey?: string;
  errorCode?: string;
  detail?: string;
  /** Fields set whether or not the status moves (UUIDs, billing details). */
  set?: Record<string, unknown>;
  /** Fields set only when the status moves (errorCode/errorMessage of the new status). */
  setIfApplied?: Record<string, unknown>;
  attempt?: AttemptRecord;
}

export type StatusChangeResult = 'applied' | 'recorded' | 'duplicate' | 'not-found';

export type MessageLogRecord = MessageLog & { _id: Types.ObjectId };

@Injectable()
export class MessageLogRepository {
  /**
   * On MongoDB each conditional update below is atomic on its document, which is what makes
   * concurrent callbacks safe across replicas. FerretDB 1.24 (the embedded/test server) runs an
   * update as query-then-write, so within one process changes to one message are also queued.
   */
  private readonly perMessage = new KeyedSerializer();

  constructor(@InjectModel(MessageLog.name) private readonly model: Model<MessageLog>) {}

  async createPending(input: NewOutboundMessage): Promise<Types.ObjectId> {
    const now = new Date();
    const doc = await this.model.create({
      ...input,
      direction: 'outbound',
      status: 'pending',
      statusRank: STATUS_RANK.pending,
      attempts: 0,
      statusHistory: [{ status: 'pending', at: now, source: 'api', applied: true }],
    });
    return doc._id;
  }

  /**
   * Moves a message forward, never backwards, in one atomic conditional update (plus a second
   * one only when the first did not match): safe with concurrent callbacks on several replicas.
   * A change that would regress the status is still appended to the history, marked not applied;
   * a change whose eventKey is already in the history is a replay and changes nothing.
   */
  applyStatusChange(
    match: FilterQuery<MessageLog>,
    change: StatusChange,
  ): Promise<StatusChangeResult> {
    return this.perMessage.run(serializationKey(match), () =>
      this.applyStatusChangeNow(match, change),
    );
  }

  private async applyStatusChangeNow(
    match: FilterQuery<MessageLog>,
    change: StatusChange,
  ): Promise<StatusChangeResult> {
    const rank = STATUS_RANK[change.status];
    const entry: StatusHistoryEntry = {
      status: change.status,
      at: change.at ?? new Date(),
      source: change.source,
      applied: true,
      ...(change.errorCode ? { errorCode: change.errorCode } : {}),
      ...(change.detail ? { detail: change.detail } : {}),
    };
    const notReplayed: FilterQuery<MessageLog> = change.eventKey
      ? { eventKeys: { $ne: change.eventKey } }
      : {};
    const pushes = {
      ...(change.eventKey ? { eventKeys: change.eventKey } : {}),
      ...(change.attempt ? { attemptLog: change.attempt } : {}),
    };
    const attempt: UpdateQuery<MessageLog> = change.attempt ? { $inc: { attempts: 1 } } : {};

    const forward = await this.model.updateOne(
      { ...match, ...notReplayed, statusRank: { $lt: rank } },
      {
        $set: { ...change.set, ...change.setIfApplied, status: change.status, statusRank: rank },
        ...attempt,
        $push: { statusHistory: entry, ...pushes },
      },
    );
    if (forward.matchedCount > 0) return 'applied';

    const late = await this.model.updateOne(
      { ...match, ...notReplayed },
      {
        ...(change.set ? { $set: change.set } : {}),
        ...attempt,
        $push: { statusHistory: { ...entry, applied: false }, ...pushes },
      },
    );
    if (late.matchedCount > 0) return 'recorded';
    if (!change.eventKey) return 'not-found';
    return (await this.model.exists(match)) ? 'duplicate' : 'not-found';
  }

  /** Stores an inbound message once: a retried webhook hits the unique UUID index. */
  async createInbound(message: InboundMessage): Promise<'stored' | 'duplicate'> {
    const now = new Date();
    try {
      await this.model.create({
        direction: 'inbound',
        channel: message.type,
        sender: message.from,
        recipient: message.to,
        text: message.text,
        mediaUrls: message.mediaUrls,
        mediaIds: [],
        status: 'received',
        statusRank: STATUS_RANK.received,
        plivoMessageUuid: message.messageUuid,
        ...(message.errorCode && !/^0+$/.test(message.errorCode)
          ? { errorCode: message.errorCode }
          : {}),
        ...(message.mediaCount !== undefined
          ? { delivery: { MediaCount: String(message.mediaCount) } }
          : {}),
        statusHistory: [{ status: 'received', at: now, source: 'plivo-inbound', applied: true }],
      });
      return 'stored';
    } catch (error) {
      if ((error as { code?: number }).code === 11000) return 'duplicate';
      throw error;
    }
  }

  /** Plivo refused the MMS for this destination: the same log goes on as an SMS. */
  async switchToSms(id: Types.ObjectId, reason: string, attempt: AttemptRecord): Promise<void> {
    await this.perMessage.run(serializationKey({ _id: id }), () =>
      this.model.updateOne(
        { _id: id },
        {
          $set: { channel: 'sms', fallbackReason: reason },
          $inc: { attempts: 1 },
          $push: { attemptLog: attempt },
        },
      ),
    );
  }

  /** A failed attempt that will be retried: counted and kept, status unchanged. */
  async recordAttempt(id: Types.ObjectId, attempt: AttemptRecord): Promise<void> {
    await this.perMessage.run(serializationKey({ _id: id }), () =>
      this.model.updateOne(
        { _id: id },
        {
          $inc: { attempts: 1 },
          $push: { attemptLog: attempt },
          $set: { errorMessage: attempt.error },
        },
      ),
    );
  }

  async findById(id: Types.ObjectId): Promise<MessageLogRecord | null> {
    return this.model.findById(id).lean<MessageLogRecord>().exec();
  }

  async list(filter: ListMessagesFilter): Promise<MessageLogRecord[]> {
    const query: FilterQuery<MessageLog> = {};
    if (filter.status) query.status = filter.status;
    if (filter.direction) query.direction = filter.direction;
    if (filter.recipient) query.recipient = filter.recipient;
    if (filter.cursor) {
      const { createdAt, id } = filter.cursor;
      query.$or = [{ createdAt: { $lt: createdAt } }, { createdAt, _id: { $lt: id } }];
    }
    return this.model
      .find(query)
      .sort({ createdAt: -1, _id: -1 })
      .limit(filter.limit)
      .lean<MessageLogRecord[]>()
      .exec();
  }
}

/** Same key for the same message whichever way it is matched (our id, or Plivo's UUID). */
function serializationKey(match: FilterQuery<MessageLog>): string {
  const id = match._id as Types.ObjectId | undefined;
  return id ? `id:${String(id)}` : `uuid:${String(match.plivoMessageUuid)}`;
}
