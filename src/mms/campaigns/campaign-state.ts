import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { Campaign, CampaignStatus, DeliveryWindow } from './campaign.schema';

/** What the dispatcher needs of a campaign to decide about one of its messages. */
export interface CampaignState {
  id: Types.ObjectId;
  status: CampaignStatus;
  deliveryWindow?: DeliveryWindow;
  maxPerSecond?: number;
}

/** How long a read is reused: a pause or a cancel is seen by every dispatcher within this. */
export const CAMPAIGN_STATE_TTL_MS = 1000;
/** Entries kept at most (a dispatcher works on a few campaigns at a time). */
const MAX_ENTRIES = 1000;

/**
 * The campaign of a claimed message, read by id and reused for up to a second in this process:
 * a backlog of 10,000 messages costs one read per campaign per second, not one per message.
 * A pause is therefore seen within a second; what a dispatcher claims meanwhile is dropped by
 * the pause's own write (the hand-over is conditional on the claim's lease). A resume must not
 * wait for the cache: before dropping a claim on `paused`, the gate asks `fresh()`.
 */
@Injectable()
export class CampaignStateReader {
  private readonly cache = new Map<
    string,
    { readAt: number; state: Promise<CampaignState | undefined> }
  >();

  constructor(@InjectModel(Campaign.name) private readonly model: Model<Campaign>) {}

  get(id: Types.ObjectId, now = Date.now()): Promise<CampaignState | undefined> {
    const key = id.toHexString();
    const cached = this.cache.get(key);
    if (cached && now - cached.readAt < CAMPAIGN_STATE_TTL_MS) return cached.state;
    if (this.cache.size >= MAX_ENTRIES) this.evictOld(now);
    const state = this.read(id);
    this.cache.set(key, { readAt: now, state });
    // A failed read is not reused: the next message asks again.
    state.catch(() => this.cache.delete(key));
    return state;
  }

  /** Read now, not from the cache (and cached from now on). */
  fresh(id: Types.ObjectId, now = Date.now()): Promise<CampaignState | undefined> {
    this.cache.delete(id.toHexString());
    return this.get(id, now);
  }

  private async read(id: Types.ObjectId): Promise<CampaignState | undefined> {
    const doc = await this.model.collection.findOne(
      { _id: id },
      { projection: { status: 1, deliveryWindow: 1, maxPerSecond: 1 } },
    );
    if (!doc) return undefined;
    return {
      id,
      status: doc.status as CampaignStatus,
      deliveryWindow: (doc.deliveryWindow as DeliveryWindow | null) ?? undefined,
      maxPerSecond: (doc.maxPerSecond as number | null) ?? undefined,
    };
  }

  private evictOld(now: number): void {
    for (const [key, entry] of this.cache)
      if (now - entry.readAt >= CAMPAIGN_STATE_TTL_MS) this.cache.delete(key);
    if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
  }
}
