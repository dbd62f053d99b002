import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Types } from 'mongoose';
import { CampaignMonitorConfig } from '../../config/campaign-monitor.config';
import { AllConfig } from '../../config/config.type';
import { MetricsService } from '../../metrics/metrics.service';
import { describeError } from '../../shared/describe-error';
import { Pacer } from '../pacing/pacer';
import { CampaignCompletionEvent } from './campaign-completion-event';
import { CampaignMonitorRepository, ClaimedCampaign } from './campaign-monitor.repository';
import { PeriodicPasses } from '../../shared/periodic-passes';

/** Campaigns looked at per pass at most; the rest wait for the next pass. */
const MAX_PER_PASS = 100;
/** Plivo's shortest message_expiry: a message with less left is expired, not sent (dispatcher). */
const MIN_EXPIRY_MS = 5000;
/** A running campaign's held messages are checked for a lost due time every this many passes. */
const REQUEUE_EVERY_PASSES = 10;

/**
 * Watches the campaigns with work left, on every replica, each claimed under a lease on its
 * document (monitorDueAt), so one replica at a time looks at one campaign:
 * - scheduled/running/paused: `startedAt` (and `running`) once a message was handed over;
 *   `completed` with `finishedAt` once no message can change any more, and its signed
 *   `campaign.completed` event (when it has a statusCallbackUrl) put in its outbox;
 * - running: a held message with no due time (a pause and a resume that crossed, a resume that
 *   died half-way) due again, checked every REQUEUE_EVERY_PASSES intervals (a safety net);
 * - paused within 5 s of its validUntil: its held messages due now, so the dispatcher expires
 *   them (its too-late check comes before the campaign's) and the campaign completes;
 * - completed: the event delivered, retried with backoff (at least once);
 * - creating for longer than CAMPAIGN_CREATING_TIMEOUT_MS (its request died and was never
 *   retried): if its messages were made due (the dispatcher is sending them), finished as the
 *   request would have (`scheduled` or `running`); if not, canceled, then, like any canceled
 *   campaign, its scheduled messages canceled;
 * - canceled: what is still scheduled canceled (a cancel that stopped half-way), then finished.
 * The campaign's pacing bucket is removed once it ends.
 */
@Injectable()
export class CampaignMonitor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(CampaignMonitor.name);
  private readonly settings: CampaignMonitorConfig;
  private readonly passes: PeriodicPasses;
  /** When this replica last checked each running campaign for held messages with no due time. */
  private readonly requeueCheckedAt = new Map<string, number>();

  constructor(
    private readonly repository: CampaignMonitorRepository,
    private readonly completionEvent: CampaignCompletionEvent,
    private readonly pacer: Pacer,
    private readonly metrics: MetricsService,
    config: ConfigService<AllConfig, true>,
  ) {
    this.settings = config.get('campaignMonitor', { infer: true });
    this.passes = new PeriodicPasses(() => this.runPass(), this.settings.intervalMs);
  }

  onApplicationBootstrap(): void {
    this.passes.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.passes.stop();
  }

  /** Looks at every due campaign (up to MAX_PER_PASS). Never throws. */
  async runPass(now = () => new Date()): Promise<number> {
    let seen = 0;
    try {
      while (!this.passes.stopped && seen < MAX_PER_PASS) {
        const claim = await this.repository.claim(now(), this.completionEvent.leaseMs);
        if (!claim) break;
        seen++;
        await this.look(claim, now()).catch((error: unknown) =>
          // Its lease runs out and it is looked at again.
          this.logger.error(
            { campaignId: claim.id.toHexString(), err: describeError(error) },
            'Campaign monitor failed on a campaign',
          ),
        );
      }
    } catch (error) {
      this.logger.warn({ err: describeError(error) }, 'Campaign monitor pass failed');
    }
    return seen;
  }

  private later(now: Date): Date {
    return new Date(now.getTime() + this.settings.intervalMs);
  }

  private async look(claim: ClaimedCampaign, now: Date): Promise<void> {
    switch (claim.status) {
      case 'creating':
        return this.lookAtCreation(claim, now);
      case 'canceled':
        return this.finishCanceled(claim, now);
      case 'completed':
        return this.deliverEvent(claim);
      default:
        return this.watchProgress(claim, now);
    }
  }

  private async lookAtCreation(claim: ClaimedCampaign, now: Date): Promise<void> {
    const deadline = claim.createdAt.getTime() + this.settings.creatingTimeoutMs;
    if (now.getTime() < deadline) {
      await this.repository.settle(claim, new Date(deadline));
      return;
    }
    if (
      (await this.repository.anyDue(claim.id)) ||
      (await this.repository.anyHandedOver(claim.id))
    ) {
      // It died after making its messages due: the rest of that update, then its status.
      await this.repository.requeueHeld(claim.id, this.startOf(claim, now));
      const status = claim.sendAt > now ? 'scheduled' : 'running';
      if (await this.repository.settle(claim, now, { status }, 'creating'))
        this.logger.warn(
          { campaignId: claim.id.toHexString(), clientId: claim.clientId, status },
          'A campaign was still being created long after its messages were due: finished',
        );
      return;
    }
    const canceled = await this.repository.settle(claim, now, { status: 'canceled' }, 'creating');
    if (!canceled) return;
    this.metrics.campaignTransitions.inc({ status: 'canceled' });
    this.logger.warn(
      { campaignId: claim.id.toHexString(), clientId: claim.clientId },
      'A campaign was still being created long after its request began: canceled',
    );
  }

  private async finishCanceled(claim: ClaimedCampaign, now: Date): Promise<void> {
    const found = await this.repository.cancelScheduled(
      claim.id,
      'Canceled with its campaign before it was sent',
    );
    if (found > 0) {
      await this.repository.settle(claim, now); // more may be left: again at once
      return;
    }
    await this.forgetPacing(claim.id);
    await this.repository.settle(claim, undefined, { finishedAt: claim.finishedAt ?? now });
  }

  private async watchProgress(claim: ClaimedCampaign, now: Date): Promise<void> {
    const set: Record<string, unknown> = {};
    await this.requeue(claim, now);
    if (!claim.startedAt && (await this.repository.anyHandedOver(claim.id))) {
      set.startedAt = now;
      if (claim.status === 'scheduled') set.status = 'running';
    }
    if (await this.repository.anyNotFinal(claim.id)) {
      const moved = await this.repository.settle(claim, this.later(now), set, claim.status);
      if (moved && set.status) this.metrics.campaignTransitions.inc({ status: 'running' });
      return;
    }
    const counts = await this.repository.countsByStatus(claim.id);
    const event = claim.statusCallbackUrl
      ? {
          id: `evt_${new Types.ObjectId().toHexString()}`,
          occurredAt: now,
          state: 'pending',
          attempts: 0,
          counts,
        }
      : undefined;
    const completed = await this.repository.settle(
      claim,
      event ? now : undefined,
      {
        ...set,
        status: 'completed',
        finishedAt: now,
        ...(event ? { completionEvent: event } : {}),
      },
      claim.status,
    );
    if (!completed) return;
    this.metrics.campaignTransitions.inc({ status: 'completed' });
    this.logger.log({ campaignId: claim.id.toHexString(), counts }, 'Campaign completed');
    await this.forgetPacing(claim.id);
  }

  /** Held messages due again where nothing else would make them due (see the class comment). */
  private async requeue(claim: ClaimedCampaign, now: Date): Promise<void> {
    const key = claim.id.toHexString();
    if (claim.status === 'paused' && claim.validUntil.getTime() - MIN_EXPIRY_MS <= now.getTime()) {
      await this.repository.requeueHeld(claim.id, now, new Date(now.getTime() + MIN_EXPIRY_MS));
      return;
    }
    if (claim.status !== 'running') return;
    const checkedAt = this.requeueCheckedAt.get(key);
    if (checkedAt !== undefined && now.getTime() - checkedAt < this.requeueEveryMs) return;
    if (this.requeueCheckedAt.size >= MAX_PER_PASS * 10) this.requeueCheckedAt.clear();
    this.requeueCheckedAt.set(key, now.getTime());
    const requeued = await this.repository.requeueHeld(claim.id, this.startOf(claim, now));
    if (requeued > 0)
      this.logger.warn(
        { campaignId: key, requeued },
        'Held messages of a running campaign had no due time: due again',
      );
  }

  private get requeueEveryMs(): number {
    return this.settings.intervalMs * REQUEUE_EVERY_PASSES;
  }

  /** When its messages may go: its sendAt, or now once that is past. */
  private startOf(claim: ClaimedCampaign, now: Date): Date {
    return claim.sendAt > now ? claim.sendAt : now;
  }

  private async deliverEvent(claim: ClaimedCampaign): Promise<void> {
    const event = claim.completionEvent;
    if (!event || event.state !== 'pending' || !claim.statusCallbackUrl) {
      await this.repository.settle(claim, undefined);
      return;
    }
    const outcome = await this.completionEvent.attempt(claim);
    const attempts = event.attempts + (outcome.attempted === false ? 0 : 1);
    await this.repository.settle(claim, outcome.nextAttemptAt, {
      'completionEvent.state': outcome.state,
      'completionEvent.attempts': attempts,
      'completionEvent.lastHttpStatus': outcome.httpStatus ?? null,
      'completionEvent.lastError': outcome.error ?? null,
    });
  }

  private async forgetPacing(campaignId: Types.ObjectId): Promise<void> {
    this.requeueCheckedAt.delete(campaignId.toHexString());
    await this.pacer.forget(`c${campaignId.toHexString()}`);
  }
}
