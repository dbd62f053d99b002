import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { isDuplicateKeyError } from '../../shared/duplicate-key';
import type { KeywordKind } from './keywords';
import { ReplyWindow } from './reply-window.schema';

/** At most one automatic reply per (our number, their number, keyword kind) per window. */
export const REPLY_WINDOW_MS = 5 * 60 * 1000;
const EXPIRES_AFTER_MS = REPLY_WINDOW_MS + 24 * 3600 * 1000;

/** `now + ms` on the database's clock ($$NOW, MongoDB 5.0+: $dateAdd). */
const fromNow = (ms: number) => ({
  $dateAdd: { startDate: '$$NOW', unit: 'millisecond', amount: ms },
});

@Injectable()
export class ReplyWindows {
  constructor(@InjectModel(ReplyWindow.name) private readonly model: Model<ReplyWindow>) {}

  /**
   * Claims the window: a token for exactly one caller across replicas until it closes, else
   * undefined. One atomic pipeline write on `_id` (an upsert): the window is open when its
   * `until` has passed on the DATABASE's clock ($$NOW), so replicas with skewed clocks agree;
   * an open window gets our token and a new `until`, a closed one is left as it is, and the
   * post-image says whose token it holds. Two first claims racing on a new `_id`: the loser's
   * upsert hits the unique `_id` (duplicate key), and the winner holds the window.
   */
  async claim(sender: string, recipient: string, kind: KeywordKind): Promise<string | undefined> {
    const token = randomUUID();
    const open = { $lte: [{ $ifNull: ['$until', new Date(0)] }, '$$NOW'] };
    try {
      const after = await this.model.collection.findOneAndUpdate(
        { _id: windowId(sender, recipient, kind) } as Record<string, unknown>,
        [
          {
            $set: {
              token: { $cond: [open, token, '$token'] },
              until: { $cond: [open, fromNow(REPLY_WINDOW_MS), '$until'] },
              expiresAt: { $cond: [open, fromNow(EXPIRES_AFTER_MS), '$expiresAt'] },
            },
          },
        ],
        {
          upsert: true,
          returnDocument: 'after',
          projection: { _id: 0, token: 1 },
          includeResultMetadata: false,
        },
      );
      return after?.token === token ? token : undefined;
    } catch (error) {
      if (isDuplicateKeyError(error)) return undefined;
      throw error;
    }
  }

  /**
   * Gives a claimed window back (the reply was suppressed, or its send failed before Plivo could
   * have it), so the next keyword gets its reply. Only the claim with this token: never a later
   * claim by another replica.
   */
  async release(sender: string, recipient: string, kind: KeywordKind, token: string) {
    await this.model.deleteOne({ _id: windowId(sender, recipient, kind), token }).exec();
  }
}

function windowId(sender: string, recipient: string, kind: KeywordKind): string {
  return `${sender}|${recipient}|${kind}`;
}
