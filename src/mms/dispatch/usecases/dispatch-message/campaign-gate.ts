import { Injectable } from '@nestjs/common';
import { DeliveryWindow } from '../../../campaigns/campaign.schema';
import { CampaignStateReader } from '../../../campaigns/campaign-state';
import { isInsideWindow, nextWindowStart } from '../../../campaigns/delivery-window';
import { Bucket, campaignBucket } from '../../../pacing/pacer';
import { ClaimedSend, DispatchQueueRepository } from '../../dispatch-queue.repository';

/** What a campaign's message may do now: go (with its campaign's cap and window), or not. */
export type CampaignAdmission =
  | { go: true; bucket?: Bucket; window?: DeliveryWindow }
  /** Handled here (dropped, canceled, put back for the window); `expire`: the caller expires it. */
  | { go: false; outcome: 'dropped' | 'canceled' | 'rescheduled' | 'lost-lease' | 'expire' };

/**
 * The campaign's say over one of its claimed messages, read from the campaign (cached ≤ 1 s):
 * paused (read again uncached) → the claim is dropped (the message stays scheduled, with no due
 * time, until a resume, whose write also takes the lease of a claim taken meanwhile, so its drop fails); canceled → the message is canceled (what the cancel's own write does, finished here
 * if it stopped half-way); outside its delivery window → back in the queue, due at the next
 * window start (expired when that is past its validUntil); its maxPerSecond → a pacing bucket
 * of its own, reserved with the account's and the sender's.
 */
@Injectable()
export class CampaignGate {
  constructor(
    private readonly campaigns: CampaignStateReader,
    private readonly queue: DispatchQueueRepository,
  ) {}

  async admit(claim: ClaimedSend, latestMs: number, now = new Date()): Promise<CampaignAdmission> {
    if (!claim.campaignId) return { go: true };
    let campaign = await this.campaigns.get(claim.campaignId);
    // A cached `paused` may be a second old: a resume since then must not lose this message
    // (nothing would make it due again), so the drop is decided on the campaign as it is now.
    if (campaign?.status === 'paused') campaign = await this.campaigns.fresh(claim.campaignId);
    // Not found (never written, or removed by hand): an ordinary message.
    if (!campaign) return { go: true };
    if (campaign.status === 'paused') {
      const dropped = await this.queue.drop(claim);
      return { go: false, outcome: dropped ? 'dropped' : 'lost-lease' };
    }
    if (campaign.status === 'canceled') {
      const message = 'Canceled with its campaign before it was sent';
      const result = await this.queue.finish(claim, {
        status: 'canceled',
        source: 'dispatcher',
        detail: message,
      });
      return { go: false, outcome: result === 'applied' ? 'canceled' : 'lost-lease' };
    }
    const window = campaign.deliveryWindow;
    if (window) {
      const outside = await this.holdForWindow(claim, window, now, latestMs);
      if (outside) return { go: false, outcome: outside };
    }
    return {
      go: true,
      window,
      bucket: campaign.maxPerSecond
        ? campaignBucket(campaign.id.toHexString(), campaign.maxPerSecond)
        : undefined,
    };
  }

  /**
   * Outside the window at `at` (now, or the slot the message got): put back in the queue, due
   * at the next start, or `expire` when that start is later than `latestMs`. Inside: undefined.
   */
  async holdForWindow(
    claim: ClaimedSend,
    window: DeliveryWindow,
    at: Date,
    latestMs: number,
  ): Promise<'rescheduled' | 'lost-lease' | 'expire' | undefined> {
    if (isInsideWindow(window, at)) return undefined;
    const opens = nextWindowStart(window, at);
    if (opens.getTime() > latestMs) return 'expire';
    return (await this.queue.release(claim, opens)) ? 'rescheduled' : 'lost-lease';
  }
}
