import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AllConfig } from '../../config/config.type';
import { PendingReconcilerConfig } from '../../config/pending-reconciler.config';
import { MetricsService } from '../../metrics/metrics.service';
import { describeError } from '../../shared/describe-error';
import { MessageLogRepository } from '../message-log/message-log.repository';
import { PeriodicPasses } from '../../shared/periodic-passes';

/** The `client` label of a message without one: no client name starts with a parenthesis. */
const NO_CLIENT_LABEL = '(none)';

/** Messages settled per pass at most; the rest wait for the next pass. */
const MAX_PER_PASS = 500;

/**
 * Settles messages left `pending` by a request that stopped between logging and hearing Plivo
 * (killed, OOM, node lost) without an Idempotency-Key to ask again with: once a message is older
 * than the longest request (PENDING_RECONCILE_AFTER_MS), nobody will answer for it, so it
 * becomes `unknown` (Plivo may have it; never resent), which is a status callback event to the
 * client; a later Plivo callback, matched by the `ref` its URL carries, still settles it.
 *
 * Every replica runs a pass every PENDING_RECONCILE_INTERVAL_MS. No lease is needed to share
 * the work: each message is claimed by the write that settles it (conditional on `pending`, the
 * oldest first), so replicas racing take different messages and none is settled twice; an idle
 * pass is one read of the {status, _id} index that finds nothing.
 */
@Injectable()
export class PendingReconciler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(PendingReconciler.name);
  private readonly settings: PendingReconcilerConfig;
  private readonly passes: PeriodicPasses;

  constructor(
    private readonly logs: MessageLogRepository,
    private readonly metrics: MetricsService,
    config: ConfigService<AllConfig, true>,
  ) {
    this.settings = config.get('pendingReconciler', { infer: true });
    this.passes = new PeriodicPasses(() => this.reconcile(), this.settings.intervalMs);
  }

  onApplicationBootstrap(): void {
    // A first pass at once: the messages a crash of this (or any) replica left behind.
    this.passes.start();
  }

  /** Before the database connection closes, so a pass under way finishes its write. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.passes.stop();
  }

  /** One pass: how many messages it settled. Never throws (the next pass tries again). */
  async reconcile(now = new Date()): Promise<number> {
    const loggedBefore = new Date(now.getTime() - this.settings.afterMs);
    let settled = 0;
    try {
      while (!this.passes.stopped && settled < MAX_PER_PASS) {
        const message = await this.logs.settlePendingAsUnknown(
          { loggedBefore },
          {
            detail: 'The request stopped before Plivo answered; Plivo may have the message',
            // The code a send whose answer was lost (a 504) logs.
            errorCode: 'PLIVO_OUTCOME_UNKNOWN',
          },
        );
        if (!message) break;
        if (!message.applied) continue; // another replica's write settled it first
        settled++;
        this.metrics.messages.inc({
          outcome: 'unknown',
          reason: 'pending-reconciled',
          // A message logged before messages carried a client.
          client: message.clientId ?? NO_CLIENT_LABEL,
        });
        this.logger.warn(
          { messageId: message._id.toHexString(), clientId: message.clientId },
          'A message was left pending by a request that stopped; it is now unknown',
        );
      }
    } catch (error) {
      this.logger.warn({ err: describeError(error) }, 'Pending reconciliation failed');
    }
    return settled;
  }
}
