import { HttpException, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AllConfig } from '../../../../config/config.type';
import { DispatchConfig } from '../../../../config/dispatch.config';
import { MetricsService } from '../../../../metrics/metrics.service';
import { describeError } from '../../../../shared/describe-error';
import { MediaUrlPolicy } from '../../../media/media-url-policy';
import { OptOutsService } from '../../../opt-outs/opt-outs.service';
import { Bucket, Pacer } from '../../../pacing/pacer';
import { DeliverMessageUseCase } from '../../../send/usecases/deliver-message/deliver-message.usecase';
import { ChannelPlan, planChannel } from '../../../send/usecases/send-mms/destination-policy';
import { ClaimedSend, DispatchQueueRepository } from '../../dispatch-queue.repository';
import { CampaignGate } from './campaign-gate';

/** Plivo's shortest message_expiry: a message handed over with less left could go out late. */
const MIN_EXPIRY_MS = 5000;

/** What became of a claimed message. */
export type DispatchOutcome =
  | 'sent'
  | 'not-sent'
  | 'expired'
  | 'refused'
  | 'rescheduled'
  | 'lost-lease'
  | 'released'
  | 'dropped'
  | 'canceled';

/**
 * One held message, claimed by a dispatcher: expired past its validUntil; the checks the send
 * path makes without Plivo made again (opt-out, media policy, destination); a pacing slot
 * (or the one reserved for it at acceptance, if it is still current); then, at its time, the
 * hand-over (`pending`, the point after which it can no longer be canceled) and the delivery
 * through the send path's own retries and SMS fallback.
 */
@Injectable()
export class DispatchMessageUseCase {
  private readonly logger = new Logger(DispatchMessageUseCase.name);
  private readonly settings: DispatchConfig;

  constructor(
    private readonly queue: DispatchQueueRepository,
    private readonly deliver: DeliverMessageUseCase,
    private readonly optOuts: OptOutsService,
    private readonly mediaPolicy: MediaUrlPolicy,
    private readonly pacer: Pacer,
    private readonly metrics: MetricsService,
    private readonly campaignGate: CampaignGate,
    config: ConfigService<AllConfig, true>,
  ) {
    this.settings = config.get('dispatch', { infer: true });
  }

  /** How far ahead a dispatcher takes a message and waits for its time itself. */
  get horizonMs(): number {
    return this.settings.pollMs;
  }

  async execute(claim: ClaimedSend, stopping: () => boolean): Promise<DispatchOutcome> {
    if (this.tooLate(claim)) return this.expire(claim);
    const latestMs = claim.validUntil.getTime() - MIN_EXPIRY_MS;
    const campaign = await this.campaignGate.admit(claim, latestMs);
    if (!campaign.go) return campaign.outcome === 'expire' ? this.expire(claim) : campaign.outcome;
    const plan = await this.check(claim);
    if (!plan) return 'refused';
    const due = await this.slotFor(claim, plan, campaign.bucket);
    if (due === 'expired') return this.expire(claim);
    if (due === 'later') return 'rescheduled';
    if (campaign.window) {
      // The slot may fall after the window closes: then the next window's start.
      const outside = await this.campaignGate.holdForWindow(claim, campaign.window, due, latestMs);
      if (outside) return outside === 'expire' ? this.expire(claim) : outside;
    }
    // The wait (at most one poll) comes before the hand-over: a dispatcher that dies in it
    // leaves a claim whose lease runs out, and the message is sent by another, never lost.
    await sleepUntil(due);
    if (stopping()) {
      const slotted = this.pacer.paces(plan.channel) || campaign.bucket !== undefined;
      await this.queue.release(claim, due, slotted ? due : undefined);
      return 'released';
    }
    if (this.tooLate(claim)) return this.expire(claim);
    if ((await this.queue.handOver(claim)) !== 'applied') return 'lost-lease';
    this.metrics.dispatchLag.observe(
      { sender: claim.sender },
      Math.max(0, Date.now() - due.getTime()) / 1000,
    );
    try {
      await this.deliver.execute({
        id: claim.id,
        clientId: claim.clientId,
        sender: claim.sender,
        recipient: claim.recipient,
        text: claim.text,
        mediaUrls: claim.mediaUrls,
        mediaIds: claim.mediaIds,
        plan,
        fallbackAllowed: claim.fallbackToSms,
        validUntil: claim.validUntil,
        // A STOP may have come in while the message waited for its slot.
        checkFirst: true,
      });
      return 'sent';
    } catch (error) {
      // Recorded in the log (failed or unknown) by the delivery; nothing to answer here.
      if (!(error instanceof HttpException))
        this.logger.error(
          { messageId: claim.id.toHexString(), err: describeError(error) },
          'Dispatch failed unexpectedly after the hand-over',
        );
      return 'not-sent';
    }
  }

  /**
   * Less than Plivo's shortest message_expiry (5 s) left: handed over now, Plivo could still
   * send it up to 5 s after its validUntil.
   */
  private tooLate(claim: ClaimedSend): boolean {
    return claim.validUntil.getTime() - Date.now() < MIN_EXPIRY_MS;
  }

  /** The send path's checks that need no Plivo; a refusal ends the message `failed`. */
  private async check(claim: ClaimedSend): Promise<ChannelPlan | undefined> {
    try {
      if (await this.optOuts.isOptedOut(claim.sender, claim.recipient)) {
        await this.refuse(
          claim,
          'RECIPIENT_OPTED_OUT',
          `${claim.recipient} opted out of messages from ${claim.sender} (STOP) before it was sent; nothing was sent`,
        );
        this.metrics.messages.inc({
          outcome: 'refused',
          reason: 'opted-out',
          client: claim.clientId,
        });
        return undefined;
      }
      this.mediaPolicy.assertAllowed(
        claim.mediaUrls.map((url, i) => ({ url, field: `mediaUrls[${i}]` })),
      );
      return planChannel(
        { destinationNumber: claim.recipient, messageText: claim.text },
        claim.mediaUrls,
        claim.mediaIds,
        claim.fallbackToSms,
      );
    } catch (error) {
      if (!(error instanceof HttpException)) throw error;
      const body = error.getResponse() as { code?: string; message?: string };
      await this.refuse(claim, body.code ?? 'REFUSED', body.message ?? error.message);
      return undefined;
    }
  }

  /**
   * When the message may go: its reserved slot while that is current, else a new slot (none
   * before validUntil: expired); a slot further than the dispatcher's horizon puts it back in
   * the queue, due then.
   */
  private async slotFor(
    claim: ClaimedSend,
    plan: ChannelPlan,
    campaignBucket?: Bucket,
  ): Promise<Date | 'expired' | 'later'> {
    const now = new Date();
    if (!this.pacer.paces(plan.channel) && !campaignBucket) return claim.sendAt;
    // A slot is a time, not a credit: one missed by more than a little (a dispatcher died
    // holding it) is not used late, which could put two messages closer than the rate.
    const grace = this.pacer.slotGraceMs(plan.channel, campaignBucket);
    if (claim.slotAt && claim.slotAt.getTime() >= now.getTime() - grace) return claim.slotAt;
    const notBefore = claim.sendAt > now ? claim.sendAt : now;
    const latest = claim.validUntil.getTime() - MIN_EXPIRY_MS;
    // A campaign's slot is only taken within the horizon: one far ahead would move the account's
    // and the sender's buckets there too, holding back every other message behind the campaign.
    const reservation = await this.pacer.reserve(
      plan.channel,
      claim.sender,
      notBefore,
      new Date(campaignBucket ? Math.min(latest, now.getTime() + this.horizonMs) : latest),
      campaignBucket,
    );
    if ('refusedUntil' in reservation) {
      if (!campaignBucket || reservation.refusedUntil.getTime() > latest) return 'expired';
      await this.queue.release(claim, reservation.refusedUntil);
      return 'later';
    }
    if (reservation.slot.getTime() - now.getTime() <= this.horizonMs) return reservation.slot;
    await this.queue.release(claim, reservation.slot, reservation.slot);
    return 'later';
  }

  private async expire(claim: ClaimedSend): Promise<DispatchOutcome> {
    const message = `Not handed to Plivo by its validUntil (${claim.validUntil.toISOString()}); never sent`;
    const result = await this.queue.finish(claim, {
      status: 'expired',
      source: 'dispatcher',
      detail: message,
      setIfApplied: { errorCode: 'MESSAGE_EXPIRED', errorMessage: message },
    });
    if (result === 'applied')
      this.metrics.messages.inc({ outcome: 'expired', reason: 'validity', client: claim.clientId });
    return result === 'applied' ? 'expired' : 'lost-lease';
  }

  private async refuse(claim: ClaimedSend, code: string, message: string): Promise<void> {
    await this.queue.finish(claim, {
      status: 'failed',
      source: 'dispatcher',
      detail: message,
      setIfApplied: { errorCode: code, errorMessage: message },
    });
  }
}

function sleepUntil(at: Date): Promise<void> {
  const ms = at.getTime() - Date.now();
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
