import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { randomUUID } from 'node:crypto';
import { Model, mongo, Types } from 'mongoose';
import { MessageLog } from '../message-log/message-log.schema';
import { MessageLogRepository } from '../message-log/message-log.repository';
import { MessageStatus } from '../message-log/message-status';
import { Campaign, CampaignStatus, CompletionEvent } from './campaign.schema';

/** A campaign the monitor holds until its lease ends (monitorDueAt moved there). */
export interface ClaimedCampaign {
  id: Types.ObjectId;
  token: string;
  leaseUntil: Date;
  clientId: string;
  name: string;
  status: CampaignStatus;
  createdAt: Date;
  sendAt: Date;
  validUntil: Date;
  startedAt?: Date;
  finishedAt?: Date;
  statusCallbackUrl?: string;
  completionEvent?: CompletionEvent & { counts?: Record<string, number> };
}

/** Statuses a message may still leave: its campaign is not complete while one has one. */
const NOT_FINAL: MessageStatus[] = ['scheduled', 'pending', 'unknown', 'queued', 'sent'];
/** Statuses of a message that never reached the hand-over. */
const NEVER_HANDED_OVER: MessageStatus[] = ['scheduled', 'canceled', 'expired'];
/** The dispatch queue's fields of a held message (they leave with it). */
const QUEUE_FIELDS = ['dispatchDueAt', 'dispatchLease', 'slotAt'];

/**
 * The monitor's side of the campaign document: a claim is one conditional write on the
 * monitorDueAt index that moves the due time to the end of a lease and stamps a token (the shape
 * of the status-callback outbox and of the dispatch queue), and every write after it is
 * conditional on that token, so two replicas never complete a campaign (or send its event)
 * twice. Reads of its messages use the {campaignId, status} index.
 */
@Injectable()
export class CampaignMonitorRepository {
  constructor(
    @InjectModel(Campaign.name) private readonly campaigns: Model<Campaign>,
    @InjectModel(MessageLog.name) private readonly messages: Model<MessageLog>,
    private readonly logs: MessageLogRepository,
  ) {}

  async claim(now: Date, leaseMs: number): Promise<ClaimedCampaign | undefined> {
    const token = randomUUID();
    const leaseUntil = new Date(now.getTime() + leaseMs);
    const doc = await this.campaigns.collection.findOneAndUpdate(
      { monitorDueAt: { $lte: now } },
      { $set: { monitorDueAt: leaseUntil, monitorLease: token } },
      { sort: { monitorDueAt: 1 }, returnDocument: 'after', includeResultMetadata: false },
    );
    if (!doc) return undefined;
    return {
      id: doc._id as Types.ObjectId,
      token,
      leaseUntil,
      clientId: doc.clientId as string,
      name: doc.name as string,
      status: doc.status as CampaignStatus,
      createdAt: doc.createdAt as Date,
      sendAt: doc.sendAt as Date,
      validUntil: doc.validUntil as Date,
      startedAt: (doc.startedAt as Date | null) ?? undefined,
      finishedAt: (doc.finishedAt as Date | null) ?? undefined,
      statusCallbackUrl: (doc.statusCallbackUrl as string | null) ?? undefined,
      completionEvent: (doc.completionEvent as ClaimedCampaign['completionEvent']) ?? undefined,
    };
  }

  /**
   * Ends the claim: due again at `nextDueAt` (undefined: nothing left to do, out of the index),
   * with `set` applied, when `status` (if given) is still the campaign's. False: the lease was no
   * longer ours, or the status changed (a pause, a cancel): looked at again at its next due time.
   */
  async settle(
    claim: ClaimedCampaign,
    nextDueAt: Date | undefined,
    set: Record<string, unknown> = {},
    status?: CampaignStatus,
  ): Promise<boolean> {
    const update: mongo.UpdateFilter<mongo.Document> = {
      $set: { ...set, ...(nextDueAt ? { monitorDueAt: nextDueAt } : {}) },
      $unset: { monitorLease: '', ...(nextDueAt ? {} : { monitorDueAt: '' }) },
    };
    const filter = { _id: claim.id, monitorLease: claim.token, ...(status ? { status } : {}) };
    const result = await this.campaigns.collection.updateOne(filter, update);
    if (result.modifiedCount === 1 || !status) return result.modifiedCount === 1;
    // The status moved under us: hand the claim back as it is.
    await this.campaigns.collection.updateOne(
      { _id: claim.id, monitorLease: claim.token },
      { $set: { monitorDueAt: new Date() }, $unset: { monitorLease: '' } },
    );
    return false;
  }

  /** Whether any message of the campaign can still change (index-served, stops at the first). */
  async anyNotFinal(campaignId: Types.ObjectId): Promise<boolean> {
    const doc = await this.messages.collection.findOne(
      { campaignId, status: { $in: NOT_FINAL } },
      { projection: { _id: 1 } },
    );
    return doc !== null;
  }

  /**
   * Its held messages with no due time made due at `dueAt` (those valid no later than
   * `validBy`, if given); how many. On the {campaignId, status, _id} index, the due time checked
   * on each scheduled message.
   */
  async requeueHeld(campaignId: Types.ObjectId, dueAt: Date, validBy?: Date): Promise<number> {
    const result = await this.messages.collection.updateMany(
      {
        campaignId,
        status: 'scheduled',
        dispatchDueAt: { $exists: false },
        ...(validBy ? { validUntil: { $lte: validBy } } : {}),
      },
      { $set: { dispatchDueAt: dueAt, updatedAt: new Date() } },
    );
    return result.modifiedCount;
  }

  /** Whether any held message of the campaign is in the dispatch queue (stops at the first). */
  async anyDue(campaignId: Types.ObjectId): Promise<boolean> {
    const doc = await this.messages.collection.findOne(
      { campaignId, status: 'scheduled', dispatchDueAt: { $exists: true } },
      { projection: { _id: 1 } },
    );
    return doc !== null;
  }

  /** Whether any message of the campaign has been handed to Plivo (or further). */
  async anyHandedOver(campaignId: Types.ObjectId): Promise<boolean> {
    const doc = await this.messages.collection.findOne(
      { campaignId, status: { $nin: NEVER_HANDED_OVER } },
      { projection: { _id: 1 } },
    );
    return doc !== null;
  }

  /** Its messages per status. */
  async countsByStatus(campaignId: Types.ObjectId): Promise<Record<string, number>> {
    const groups = await this.messages.collection
      .aggregate<{ _id: string; n: number }>([
        { $match: { campaignId } },
        { $group: { _id: '$status', n: { $sum: 1 } } },
      ])
      .toArray();
    return Object.fromEntries(groups.map((g) => [g._id, g.n]));
  }

  /**
   * Cancels up to `limit` of its still scheduled messages (each with its status callback event,
   * each conditional on still being scheduled, so a dispatcher's hand-over and this never both
   * apply); how many were found.
   */
  async cancelScheduled(campaignId: Types.ObjectId, detail: string, limit = 500): Promise<number> {
    const docs = await this.messages.collection
      .find({ campaignId, status: 'scheduled' }, { projection: { _id: 1 }, limit })
      .toArray();
    for (const doc of docs)
      await this.logs.applyStatusChange(
        { _id: doc._id, status: 'scheduled' },
        { status: 'canceled', source: 'dispatcher', detail, unsetIfApplied: QUEUE_FIELDS },
      );
    return docs.length;
  }
}
