import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { MessageLog } from '../message-log/message-log.schema';

/** The message log, read for the senders: conversations and the held backlog per number. */
@Injectable()
export class SenderActivityRepository {
  constructor(@InjectModel(MessageLog.name) private readonly model: Model<MessageLog>) {}

  /**
   * The number of `pool` this recipient last exchanged messages with: the latest of this
   * client's outbound messages to the recipient from one of them ({clientId, recipient, _id}
   * index, newest first) and the recipient's latest inbound message to one of them (the partial
   * {sender, _id} index of inbound messages), whichever is newer. Two reads of one entry each.
   */
  async lastExchanged(
    clientId: string,
    recipient: string,
    pool: string[],
  ): Promise<string | undefined> {
    const newestFirst = {
      sort: { _id: -1 as const },
      projection: { sender: 1, recipient: 1, createdAt: 1 },
    };
    const [outbound, inbound] = await Promise.all([
      this.model.collection.findOne(
        // No `direction`: the planner would take {clientId, direction, _id} over the narrower
        // index; an inbound message's recipient is one of our numbers, never the customer's.
        { clientId, recipient, sender: { $in: pool } },
        newestFirst,
      ),
      this.model.collection.findOne(
        { sender: recipient, direction: 'inbound', recipient: { $in: pool } },
        newestFirst,
      ),
    ]);
    // createdAt (milliseconds) says which came last; an id's own time is only in seconds.
    const newer =
      outbound && inbound
        ? (outbound.createdAt as Date) >= (inbound.createdAt as Date)
          ? outbound
          : inbound
        : (outbound ?? inbound);
    if (!newer) return undefined;
    return (newer === outbound ? newer.sender : newer.recipient) as string;
  }

  /**
   * Messages the gateway holds (`scheduled`), per sender: one aggregation on the dispatch
   * queue's partial `dispatchDueAt` index (only held messages are in it), optionally for some
   * numbers only. The dispatch backlog gauge counts the same way.
   */
  async heldBySender(senders?: string[]): Promise<Map<string, number>> {
    const groups = await this.model.collection
      .aggregate<{ _id: string; n: number }>([
        {
          $match: {
            dispatchDueAt: { $exists: true },
            ...(senders ? { sender: { $in: senders } } : {}),
          },
        },
        { $group: { _id: '$sender', n: { $sum: 1 } } },
      ])
      .toArray();
    return new Map(groups.map((g) => [g._id, g.n]));
  }
}
