import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { randomUUID } from 'node:crypto';
import { Model, Types } from 'mongoose';
import { MessageLog } from '../message-log/message-log.schema';
import {
  MessageLogRepository,
  Readers,
  StatusChangeResult,
} from '../message-log/message-log.repository';
import { StatusChange } from '../message-log/status-change';
import { SenderActivityRepository } from '../senders/sender-activity.repository';

/** The fields of a held message that leave the document with it (hand-over, cancel, expiry). */
export const DISPATCH_FIELDS = ['dispatchDueAt', 'dispatchLease', 'slotAt'];

/** A scheduled message a dispatcher holds (its token) until the lease written on it ends. */
export interface ClaimedSend {
  id: Types.ObjectId;
  token: string;
  clientId: string;
  sender: string;
  recipient: string;
  channel: 'mms' | 'sms';
  text: string;
  mediaUrls: string[];
  mediaIds: string[];
  fallbackToSms: boolean;
  sendAt: Date;
  validUntil: Date;
  slotAt?: Date;
  /** The campaign it belongs to, if any (its state is read before it goes). */
  campaignId?: Types.ObjectId;
}

/**
 * The gateway's queue, kept in the messages' own documents: a `scheduled` message carries
 * `dispatchDueAt` (partial index) until it leaves the queue. A claim is one conditional write on
 * that index that moves the due time to the end of a lease and stamps a token (the shape of the
 * status-callback outbox); every way out of the queue is a status change conditional on
 * `status: scheduled` (and, for a dispatcher, on its token), so a cancel and a hand-over racing
 * each other cannot both happen.
 */
@Injectable()
export class DispatchQueueRepository {
  constructor(
    @InjectModel(MessageLog.name) private readonly model: Model<MessageLog>,
    private readonly logs: MessageLogRepository,
    private readonly activity: SenderActivityRepository,
  ) {}

  /** The scheduled message due first, if it is due by `horizon`, leased until now + leaseMs. */
  async claim(now: Date, horizon: Date, leaseMs: number): Promise<ClaimedSend | undefined> {
    const token = randomUUID();
    const leaseUntil = new Date(now.getTime() + leaseMs);
    const doc = await this.model.collection.findOneAndUpdate(
      { dispatchDueAt: { $lte: horizon } },
      { $set: { dispatchDueAt: leaseUntil, dispatchLease: token } },
      {
        sort: { dispatchDueAt: 1 },
        returnDocument: 'after',
        projection: {
          clientId: 1,
          sender: 1,
          recipient: 1,
          channel: 1,
          text: 1,
          mediaUrls: 1,
          mediaIds: 1,
          fallbackToSms: 1,
          sendAt: 1,
          validUntil: 1,
          slotAt: 1,
          campaignId: 1,
          createdAt: 1,
        },
        includeResultMetadata: false,
      },
    );
    if (!doc) return undefined;
    return {
      id: doc._id as Types.ObjectId,
      token,
      clientId: doc.clientId as string,
      sender: doc.sender as string,
      recipient: doc.recipient as string,
      channel: doc.channel as 'mms' | 'sms',
      text: (doc.text as string | undefined) ?? '',
      mediaUrls: (doc.mediaUrls as string[] | undefined) ?? [],
      mediaIds: (doc.mediaIds as string[] | undefined) ?? [],
      fallbackToSms: doc.fallbackToSms === true,
      sendAt: (doc.sendAt as Date | undefined) ?? (doc.createdAt as Date),
      validUntil: doc.validUntil as Date,
      slotAt: (doc.slotAt as Date | undefined) ?? undefined,
      campaignId: (doc.campaignId as Types.ObjectId | undefined) ?? undefined,
    };
  }

  /**
   * Gives the message back to the queue, due at `dueAt` (with the slot reserved for it, if any);
   * false when the lease was no longer ours.
   */
  async release(claim: ClaimedSend, dueAt: Date, slotAt?: Date): Promise<boolean> {
    const result = await this.model.collection.updateOne(
      { _id: claim.id, status: 'scheduled', dispatchLease: claim.token },
      {
        $set: { dispatchDueAt: dueAt, ...(slotAt ? { slotAt } : {}) },
        $unset: { dispatchLease: '' },
      },
    );
    return result.modifiedCount === 1;
  }

  /**
   * Takes the message out of the queue, still `scheduled` (its campaign is paused), if the lease
   * is still ours: the pause holds even when the pause's own write stopped half-way, and a
   * resume makes it due again.
   */
  async drop(claim: ClaimedSend): Promise<boolean> {
    const result = await this.model.collection.updateOne(
      { _id: claim.id, status: 'scheduled', dispatchLease: claim.token },
      { $unset: Object.fromEntries(DISPATCH_FIELDS.map((f) => [f, ''])) },
    );
    return result.modifiedCount === 1;
  }

  /**
   * The message leaves the queue for Plivo: `pending` (no status callback event: the next is
   * Plivo's answer), if it is still scheduled and ours. From here on it is never canceled, and
   * a crash leaves it pending for the reconciler, never resent.
   */
  handOver(claim: ClaimedSend): Promise<StatusChangeResult> {
    return this.logs.applyStatusChange(
      { _id: claim.id, status: 'scheduled', dispatchLease: claim.token },
      {
        status: 'pending',
        source: 'dispatcher',
        emitEvent: false,
        unsetIfApplied: DISPATCH_FIELDS,
      },
    );
  }

  /** Ends a held message without sending it (expired, failed a check), if still ours. */
  finish(claim: ClaimedSend, change: Omit<StatusChange, 'unsetIfApplied'>) {
    return this.logs.applyStatusChange(
      { _id: claim.id, status: 'scheduled', dispatchLease: claim.token },
      { ...change, unsetIfApplied: DISPATCH_FIELDS },
    );
  }

  /** The client takes a held message back: `canceled`, if it is still scheduled. */
  cancel(id: Types.ObjectId, readers: Readers): Promise<StatusChangeResult> {
    const message = 'Canceled by the client before it was sent';
    return this.logs.applyStatusChange(
      { _id: id, status: 'scheduled', ...(readers === 'all' ? {} : readers) },
      {
        status: 'canceled',
        source: 'api',
        detail: message,
        unsetIfApplied: DISPATCH_FIELDS,
      },
    );
  }

  /** Held messages per sender, and the due time of the one due first (index-served). */
  async backlog(): Promise<{ bySender: Map<string, number>; firstDue?: Date }> {
    const held = { dispatchDueAt: { $exists: true } };
    const [bySender, first] = await Promise.all([
      this.activity.heldBySender(),
      this.model.collection.findOne(held, {
        sort: { dispatchDueAt: 1 },
        projection: { sendAt: 1, slotAt: 1 },
      }),
    ]);
    const firstDue = (first?.slotAt ?? first?.sendAt) as Date | undefined;
    return { bySender, firstDue };
  }
}
