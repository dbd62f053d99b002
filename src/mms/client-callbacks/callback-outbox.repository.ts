import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { randomUUID } from 'node:crypto';
import { Model, mongo, Types } from 'mongoose';
import { CallbackEvent, CallbackEventState } from '../message-log/callback-event.schema';
import { callbackHostOf } from '../message-log/callback-outbox';
import { MessageLog } from '../message-log/message-log.schema';
import { literal } from '../message-log/pipeline';

/** A message a worker holds until `leaseUntil`, with the event it must deliver next. */
export interface ClaimedMessage {
  messageId: Types.ObjectId;
  /** Whose message: its callbacks are signed with that client's secrets, if it has its own. */
  clientId?: string;
  url: string;
  /** The URL's `host:port` (callbackHostOf): what STATUS_CALLBACK_HOST_CONCURRENCY counts. */
  host: string;
  token: string;
  leaseUntil: Date;
  /** The first pending event (undefined: nothing left; the claim is just released). */
  event?: CallbackEvent;
}

/** What a claim skips: the hosts and the clients whose attempts on this replica fill their cap. */
export interface BusyDestinations {
  hosts?: readonly string[];
  clients?: readonly string[];
}

/** What one delivery attempt did to its event. */
export interface AttemptOutcome {
  state: CallbackEventState;
  at: Date;
  httpStatus?: number;
  error?: string;
  /** For a pending (retried) event: when to try again. */
  nextAttemptAt?: Date;
  /** 410: every pending event of the message becomes `stopped`, and no new one is made. */
  stopMessage?: boolean;
  /** False when the event was settled without a request (too old, a refused URL). */
  attempted?: boolean;
}

/**
 * The status callback outbox, kept in each message's own document (message-log writes the events
 * with the status change); this side claims and settles them. A claim is one conditional write
 * on a due-time index: it moves the message's due time to the end of a lease and stamps a token,
 * so no other replica can take it until the lease ends; a worker that dies simply lets its lease
 * run out. Settling is conditional on the token, so a worker whose lease was taken over can no
 * longer write. A message waiting for its first try is due at `callbackDueAt`, one waiting for a
 * retry at `callbackRetryAt`: a claim takes the most overdue first try, and a retry only when no
 * first try is due.
 */
@Injectable()
export class CallbackOutboxRepository {
  constructor(@InjectModel(MessageLog.name) private readonly model: Model<MessageLog>) {}

  /** Whether any message has an undelivered event (indexed reads). */
  async anyDue(): Promise<boolean> {
    for (const field of ['callbackDueAt', 'callbackRetryAt'] as const) {
      const doc = await this.model.collection.findOne(
        { [field]: { $gte: new Date(0) } },
        { projection: { _id: 1 } },
      );
      if (doc) return true;
    }
    return false;
  }

  /**
   * Takes the most overdue message whose host (`host:port`) is not one of `busy.hosts` and whose
   * client is not one of `busy.clients` (those whose attempts fill their cap): a first try if
   * any is due, else a retry.
   */
  async claim(
    now: Date,
    leaseMs: number,
    busy: BusyDestinations = {},
  ): Promise<ClaimedMessage | undefined> {
    return (
      (await this.claimBy('callbackDueAt', now, leaseMs, busy)) ??
      (await this.claimBy('callbackRetryAt', now, leaseMs, busy))
    );
  }

  private async claimBy(
    due: 'callbackDueAt' | 'callbackRetryAt',
    now: Date,
    leaseMs: number,
    { hosts = [], clients = [] }: BusyDestinations,
  ): Promise<ClaimedMessage | undefined> {
    const token = randomUUID();
    const leaseUntil = new Date(now.getTime() + leaseMs);
    const doc = await this.model.collection.findOneAndUpdate(
      {
        [due]: { $lte: now },
        // A message written before callbackHost existed has none: claimed, and stamped at settle.
        ...(hosts.length > 0 ? { callbackHost: { $nin: [...hosts] } } : {}),
        // A message without a client (none is counted) matches any list of names.
        ...(clients.length > 0 ? { clientId: { $nin: [...clients] } } : {}),
      },
      {
        $set: { callbackDueAt: leaseUntil, callbackLease: token },
        $unset: { callbackRetryAt: '' },
      },
      {
        sort: { [due]: 1 },
        returnDocument: 'after',
        projection: { clientId: 1, statusCallbackUrl: 1, callbackEvents: 1 },
        includeResultMetadata: false,
      },
    );
    if (!doc) return undefined;
    const events = (doc.callbackEvents ?? []) as CallbackEvent[];
    const url = doc.statusCallbackUrl as string;
    return {
      messageId: doc._id as Types.ObjectId,
      clientId: doc.clientId as string | undefined,
      url,
      host: callbackHostOf(url),
      token,
      leaseUntil,
      event: events.find((e) => e.state === 'pending'),
    };
  }

  /**
   * Records the attempt on its event and hands the message back: due again at its first pending
   * event's next attempt (a new event appended meanwhile included), as a retry if that event has
   * been tried, or not at all. Returns false
   * when the lease was no longer ours (another worker has the message now; it will redeliver).
   */
  async settle(claim: ClaimedMessage, outcome?: AttemptOutcome): Promise<boolean> {
    const stages: mongo.Document[] = [];
    if (claim.event && outcome) {
      const patch = {
        state: outcome.state,
        // Settled without a request: the last attempt's time and answer stay, the reason is told.
        ...(outcome.attempted === false
          ? { lastError: outcome.error ?? null }
          : {
              lastAttemptAt: outcome.at,
              lastHttpStatus: outcome.httpStatus ?? null,
              lastError: outcome.error ?? null,
            }),
        nextAttemptAt: outcome.state === 'pending' ? (outcome.nextAttemptAt ?? outcome.at) : null,
        deliveredAt: outcome.state === 'delivered' ? outcome.at : null,
      };
      const stopped = { state: 'stopped', nextAttemptAt: null };
      stages.push({
        $set: {
          callbackEvents: {
            $map: {
              input: '$callbackEvents',
              as: 'e',
              in: {
                $cond: [
                  { $eq: ['$$e.id', claim.event.id] },
                  {
                    $mergeObjects: [
                      '$$e',
                      literal(patch),
                      {
                        attempts: {
                          $add: [
                            { $ifNull: ['$$e.attempts', 0] },
                            outcome.attempted === false ? 0 : 1,
                          ],
                        },
                      },
                    ],
                  },
                  outcome.stopMessage
                    ? {
                        $cond: [
                          { $eq: ['$$e.state', 'pending'] },
                          { $mergeObjects: ['$$e', literal(stopped)] },
                          '$$e',
                        ],
                      }
                    : '$$e',
                ],
              },
            },
          },
          ...(outcome.stopMessage ? { callbackStopped: true } : {}),
        },
      });
    }
    const head = {
      $arrayElemAt: [
        {
          $filter: {
            input: { $ifNull: ['$callbackEvents', []] },
            as: 'e',
            cond: { $eq: ['$$e.state', 'pending'] },
          },
        },
        0,
      ],
    };
    const tried = { $gt: [{ $ifNull: ['$__head.attempts', 0] }, 0] };
    const next = { $ifNull: ['$__head.nextAttemptAt', '$$REMOVE'] };
    stages.push(
      { $set: { __head: head } },
      {
        $set: {
          callbackDueAt: { $cond: [tried, '$$REMOVE', next] },
          callbackRetryAt: { $cond: [tried, next, '$$REMOVE'] },
          callbackHost: literal(claim.host),
        },
      },
      { $unset: ['callbackLease', '__head'] },
    );
    const result = await this.model.collection.updateOne(
      { _id: claim.messageId, callbackLease: claim.token },
      stages,
    );
    return result.matchedCount === 1;
  }
}
