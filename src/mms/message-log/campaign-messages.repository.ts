import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, mongo, Types } from 'mongoose';
import { isDuplicateKeyError } from '../../shared/duplicate-key';
import { callbackHostOf, perMessageEventId } from './callback-outbox';
import { MessageLog } from './message-log.schema';
import { MessageLogRecord, NewOutboundMessage } from './message-log.types';
import { MessageStatus, STATUS_RANK } from './message-status';
import { StatusChange, statusChangePipeline } from './status-change';

/** The dispatch queue's fields: a message that leaves the queue loses them (DISPATCH_FIELDS). */
const QUEUE_FIELDS = ['dispatchDueAt', 'dispatchLease', 'slotAt'];
/**
 * Documents per insertMany: a 10,000-recipient campaign is 100 round trips, not 10,000. On the
 * stand-in database 10,000 documents take the same time in chunks of 100 to 2,500 (1.2–2 s on
 * a loaded 2-core machine, 2026-12-08), and a smaller chunk holds less in memory at once.
 */
export const INSERT_CHUNK = 100;

/** One recipient of a campaign, as the creation writes it (held, not yet due). */
export type NewCampaignMessage = Omit<NewOutboundMessage, '_id'> & { sendAt?: Date };

/**
 * A campaign's messages, many at a time: bulk creation, the due time of all of them at once
 * (start, pause, resume), the status change of all still held (cancel), and the reads by
 * campaign (progress counts, per-recipient pages), each on a {campaignId, …} index.
 */
@Injectable()
export class CampaignMessagesRepository {
  constructor(@InjectModel(MessageLog.name) private readonly model: Model<MessageLog>) {}

  /**
   * Inserts complete `scheduled` documents, not yet due (no dispatchDueAt: no dispatcher takes
   * them before the campaign says so). Unordered chunks; a duplicate campaign+recipient is a
   * retried creation's message already there and is skipped. Returns how many are new.
   */
  async insertHeld(campaignId: Types.ObjectId, messages: NewCampaignMessage[]): Promise<number> {
    const now = new Date();
    let inserted = 0;
    for (let i = 0; i < messages.length; i += INSERT_CHUNK) {
      const docs = messages.slice(i, i + INSERT_CHUNK).map((m) => ({
        _id: new Types.ObjectId(),
        ...Object.fromEntries(Object.entries(m).filter(([, v]) => v !== undefined)),
        ...(m.statusCallbackUrl ? { callbackHost: callbackHostOf(m.statusCallbackUrl) } : {}),
        campaignId,
        direction: 'outbound',
        status: 'scheduled',
        statusRank: STATUS_RANK.scheduled,
        attempts: 0,
        attemptLog: [],
        eventKeys: [],
        statusHistory: [{ status: 'scheduled', at: now, source: 'api', applied: true }],
        createdAt: now,
        updatedAt: now,
      }));
      try {
        inserted += (await this.model.collection.insertMany(docs, { ordered: false }))
          .insertedCount;
      } catch (error) {
        if (!(error instanceof mongo.MongoBulkWriteError)) throw error;
        const errors = [error.writeErrors].flat();
        if (!errors.every((e) => isDuplicateKeyError({ code: e.code }))) throw error;
        inserted += error.result.insertedCount;
      }
    }
    return inserted;
  }

  /** Due at `dueAt`: the campaign's held messages without a due time (start, resume). */
  async makeDue(campaignId: Types.ObjectId, dueAt: Date): Promise<number> {
    const result = await this.model.collection.updateMany(
      { campaignId, status: 'scheduled', dispatchDueAt: { $exists: false } },
      { $set: { dispatchDueAt: dueAt, updatedAt: new Date() } },
    );
    return result.modifiedCount;
  }

  /**
   * A resume that ended a pause: every held message of the campaign due at `dueAt`, the ones a
   * dispatcher claimed too. Such a claim was taken while paused and may yet be dropped on that
   * pause; its lease (and slot) go here, so the drop (conditional on the lease) fails and the
   * message stays due. A claim taken before the pause lost its hand-over to the pause already.
   */
  async makeAllDue(campaignId: Types.ObjectId, dueAt: Date): Promise<number> {
    const result = await this.model.collection.updateMany(
      { campaignId, status: 'scheduled' },
      {
        $set: { dispatchDueAt: dueAt, updatedAt: new Date() },
        $unset: { dispatchLease: '', slotAt: '' },
      },
    );
    return result.modifiedCount;
  }

  /**
   * Pause: no held message of the campaign is due any more. A dispatcher that claimed one
   * meanwhile fails its hand-over (conditional on its lease token, which is removed here).
   */
  async holdAll(campaignId: Types.ObjectId): Promise<number> {
    const result = await this.model.collection.updateMany(
      { campaignId, status: 'scheduled', dispatchDueAt: { $exists: true } },
      { $unset: { dispatchDueAt: '', dispatchLease: '', slotAt: '' } },
    );
    return result.modifiedCount;
  }

  /**
   * The same status change on every message of the campaign still `scheduled`, in one
   * updateMany with the pipeline of MessageLogRepository.applyStatusChange (its history entry
   * and status callback event included); the queue's fields go.
   */
  async changeHeld(campaignId: Types.ObjectId, change: StatusChange): Promise<number> {
    const changeId = new Types.ObjectId();
    const result = await this.model.collection.updateMany(
      { campaignId, status: 'scheduled' },
      statusChangePipeline(
        { ...change, unsetIfApplied: QUEUE_FIELDS, eventId: perMessageEventId(changeId) },
        changeId,
      ),
    );
    return result.modifiedCount;
  }

  /** How many of the campaign's messages are in each status (the {campaignId, status} index). */
  async countByStatus(campaignId: Types.ObjectId): Promise<Partial<Record<MessageStatus, number>>> {
    const groups = await this.model.collection
      .aggregate<{ _id: MessageStatus; n: number }>([
        { $match: { campaignId } },
        { $group: { _id: '$status', n: { $sum: 1 } } },
      ])
      .toArray();
    return Object.fromEntries(groups.map((g) => [g._id, g.n]));
  }

  /** A page of the campaign's messages in creation order (the request's), optionally by status. */
  async list(filter: {
    campaignId: Types.ObjectId;
    status?: MessageStatus;
    after?: Types.ObjectId;
    limit: number;
  }): Promise<MessageLogRecord[]> {
    return this.model
      .find({
        campaignId: filter.campaignId,
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.after ? { _id: { $gt: filter.after } } : {}),
      })
      .sort({ _id: 1 })
      .limit(filter.limit)
      .lean<MessageLogRecord[]>()
      .exec();
  }
}
