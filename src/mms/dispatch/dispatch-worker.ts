import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AllConfig } from '../../config/config.type';
import { DispatchConfig } from '../../config/dispatch.config';
import { MetricsService } from '../../metrics/metrics.service';
import { describeError } from '../../shared/describe-error';
import { StopSignal } from '../../shared/stop-signal';
import { ClaimedSend, DispatchQueueRepository } from './dispatch-queue.repository';
import { DispatchMessageUseCase } from './usecases/dispatch-message/dispatch-message.usecase';

/**
 * How often a replica counts the held messages for mms_dispatch_backlog: an aggregate over the
 * dispatchDueAt index, so its cost grows with the backlog (seconds for 100,000 on the stand-in).
 */
const BACKLOG_REFRESH_MS = 15_000;

/**
 * The dispatchers of one replica: up to DISPATCH_CONCURRENCY lanes, each claiming the scheduled
 * message due first (a lease on its document, on the dispatchDueAt index), dispatching it, and
 * claiming again; with nothing due, one lane polls every DISPATCH_POLL_MS (also while the
 * others dispatch) and the rest end. Nothing is held in memory: what a replica has not handed
 * over is in MongoDB, and a replica that dies hands its claims back when their leases end.
 * Shutdown hands back what it holds.
 */
@Injectable()
export class DispatchWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DispatchWorker.name);
  private readonly settings: DispatchConfig;
  private readonly lanes = new Set<Promise<void>>();
  /** Counted where lanes decide to end (synchronously: two cannot both leave). */
  private laneCount = 0;
  /** Lanes waiting to poll again: one is enough, the others end. */
  private idleLanes = 0;
  private claimFailures = 0;
  private readonly stop = new StopSignal();
  private backlogTimer?: NodeJS.Timeout;

  constructor(
    private readonly queue: DispatchQueueRepository,
    private readonly dispatch: DispatchMessageUseCase,
    private readonly metrics: MetricsService,
    config: ConfigService<AllConfig, true>,
  ) {
    this.settings = config.get('dispatch', { infer: true });
  }

  onApplicationBootstrap(): void {
    if (!this.settings.pacing) this.logger.log('Pacing is off: messages go to Plivo at once');
    this.openLane();
    this.backlogTimer = setInterval(() => void this.refreshBacklog(), BACKLOG_REFRESH_MS);
    this.backlogTimer.unref();
  }

  /** Before the database connection closes: dispatches under way finish and record. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stop.stop();
    clearInterval(this.backlogTimer);
    await Promise.allSettled([...this.lanes]);
  }

  private openLane(): void {
    if (this.stop.stopped || this.laneCount >= this.settings.concurrency) return;
    this.laneCount++;
    const lane: Promise<void> = this.lane()
      .catch((error: unknown) =>
        this.logger.error({ err: describeError(error) }, 'Dispatch lane failed'),
      )
      .finally(() => this.lanes.delete(lane));
    this.lanes.add(lane);
  }

  private async lane(): Promise<void> {
    try {
      while (!this.stop.stopped) {
        let claim: ClaimedSend | undefined;
        try {
          const now = new Date();
          claim = await this.queue.claim(
            now,
            new Date(now.getTime() + this.dispatch.horizonMs),
            this.settings.leaseMs,
          );
          this.claimFailures = 0;
        } catch (error) {
          // The database is down: nothing is lost (the queue is in it); back off, warn at
          // each doubling of the streak.
          this.claimFailures++;
          if ((this.claimFailures & (this.claimFailures - 1)) === 0)
            this.logger.warn(
              { err: describeError(error), failures: this.claimFailures },
              'Dispatch: claiming failed',
            );
          if (this.laneCount > 1) return;
          await this.stop.pause(
            Math.min(10_000, this.settings.pollMs * 2 ** Math.min(this.claimFailures, 10)),
          );
          continue;
        }
        if (!claim) {
          // One lane keeps polling while the others dispatch: a lane in a slow Plivo call (or
          // waiting for its slot) must not hold back the messages that come due meanwhile.
          if (this.idleLanes > 0) return;
          this.idleLanes++;
          try {
            await this.stop.pause(this.settings.pollMs);
          } finally {
            this.idleLanes--;
          }
          continue;
        }
        this.openLane();
        if (this.stop.stopped) {
          await this.queue.release(claim, claim.slotAt ?? claim.sendAt).catch(() => undefined);
          return;
        }
        await this.run(claim);
      }
    } finally {
      this.laneCount--;
    }
  }

  private async run(claim: ClaimedSend): Promise<void> {
    try {
      await this.dispatch.execute(claim, () => this.stop.stopped);
    } catch (error) {
      // Before the hand-over (a check or a write failed): its lease runs out and it is claimed
      // again. After it, the log says pending and the reconciler settles it as unknown.
      this.logger.error(
        { messageId: claim.id.toHexString(), err: describeError(error) },
        'Dispatch failed; the message is retried when its lease ends',
      );
    }
  }

  private async refreshBacklog(): Promise<void> {
    try {
      const { bySender, firstDue } = await this.queue.backlog();
      this.metrics.dispatchBacklog.reset();
      for (const [sender, count] of bySender) this.metrics.dispatchBacklog.set({ sender }, count);
      const overdue = firstDue ? (Date.now() - firstDue.getTime()) / 1000 : 0;
      this.metrics.dispatchOldestDue.set(Math.max(0, overdue));
    } catch {
      // The next refresh tries again; the claims report a database outage.
    }
  }
}
