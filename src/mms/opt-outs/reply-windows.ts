import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { isDuplicateKeyError } from '../../shared/duplicate-key';
import type { KeywordKind } from './keywords';
import { ReplyWindow } from './reply-window.schema';

/** At most one automatic reply per (our number, their number, keyword kind) per window. */
export const REPLY_WINDOW_MS = 5 * 60 * 1000;

@Injectable()
export class ReplyWindows {
  constructor(@InjectModel(ReplyWindow.name) private readonly model: Model<ReplyWindow>) {}

  /**
   * Claims the window: true for exactly one caller across replicas until it closes. One write:
   * an open window matches and is moved; a closed one does not match, and the upsert then hits
   * the unique _id (a duplicate key error), so nobody else gets it.
   */
  async claim(sender: string, recipient: string, kind: KeywordKind, now = new Date()) {
    const until = new Date(now.getTime() + REPLY_WINDOW_MS);
    try {
      await this.model.updateOne(
        { _id: `${sender}|${recipient}|${kind}`, until: { $lte: now } },
        { $set: { until, expiresAt: new Date(until.getTime() + 24 * 3600 * 1000) } },
        { upsert: true },
      );
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }
}
