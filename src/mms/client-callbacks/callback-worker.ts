import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AllConfig } from '../../config/config.type';
import { StatusCallbacksConfig } from '../../config/status-callbacks.config';
import { CallbackOutcome, MetricsService } from '../../metrics/metrics.service';
import { describeError } from '../../shared/describe-error';
import { StopSignal } from '../../shared/stop-signal';
import { CallbackEvent } from '../message-log/callback-event.schema';
import {
  AttemptOutcome,
  CallbackOutboxRepository,
  ClaimedMessage,
} from './callback-outbox.repository';
import { CallbackAttempts } from './callback-attempts';
import { CallbackSlots } from './callback-slots';

/**
 * Delivers status callback events from the outbox, on every replica, in up to
 * STATUS_CALLBACK_CONCURRENCY lanes. A lane claims one due message (a lease on its document),
 * delivers its first pending event (a message's events go out one after the other, in sequence
 * order), records the outcome, and claims again; with nothing due it waits
 * STATUS_CALLBACK_POLL_MS. Nothing is queued in memory: an endpoint that is down leaves its
 * events in MongoDB, due at their next attempt. Runs apart from every request, so a slow client
 * never delays Plivo's webhooks or an API answer; and at most STATUS_CALLBACK_HOST_CONCURRENCY
 * lanes deliver to one host, and at most STATUS_CALLBACK_CLIENT_CONCURRENCY to one client's
 * URLs, at once (a claim skips the full ones), so an endpoint that answers slowly or never, or a
 * client whose URLs point at several such endpoints, cannot hold the lanes the other clients'
 * events need.
 */
@Injectable()
export class CallbackWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(CallbackWorker.name);
  private readonly settings: StatusCallbacksConfig;
  private readonly lanes = new Set<Promise<void>>();
  /** Lanes running, counted where they decide to end (synchronously: two cannot both leave). */
  private laneCount = 0;
  /** Lanes holding a claim (the others are claiming or polling). */
  private delivering = 0;
  private readonly hostSlots: CallbackSlots;
  /** Per client: a message without one (API_KEYS unset, or older) is not counted. */
  private readonly clientSlots: CallbackSlots;
  /** The last claim asked for: the next one waits for it (one at a time, see claimInTurn). */
  private claimTurn: Promise<unknown> = Promise.resolve();
  /** Claims that failed in a row (the database unreachable). */
  private claimFailures = 0;
  private readonly stop = new StopSignal();

  constructor(
    private readonly outbox: CallbackOutboxRepository,
    private readonly attempts: CallbackAttempts,
    private readonly metrics: MetricsService,
    config: ConfigService<AllConfig, true>,
  ) {
    this.settings = config.get('statusCallbacks', { infer: true });
    this.hostSlots = new CallbackSlots(this.settings.hostConcurrency);
    this.clientSlots = new CallbackSlots(this.settings.clientConcurrency);
  }

  onApplicationBootstrap(): void {
    if (this.settings.secrets.length === 0 && this.settings.clientSecrets.size === 0) {
      // Nothing can be signed: events (of messages sent while a secret was set) wait in MongoDB.
      void this.outbox.anyDue().then(
        (due) =>
          due &&
          this.logger.warn(
            'Status callback events are waiting, but STATUS_CALLBACK_SECRET is not set: they are not delivered until it is',
          ),
        () => undefined,
      );
      return;
    }
    this.openLane();
  }

  /** One more lane, up to STATUS_CALLBACK_CONCURRENCY. */
  private openLane(): void {
    if (this.stop.stopped || this.laneCount >= this.settings.concurrency) return;
    this.laneCount++;
    const lane: Promise<void> = this.lane()
      .catch((error: unknown) =>
        this.logger.error({ err: describeError(error) }, 'Status callback lane failed'),
      )
      .finally(() => this.lanes.delete(lane));
    this.lanes.add(lane);
  }

  /** Before the database connection closes, so deliveries under way record their outcome. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stop.stop();
    // A delivery under way ends within STATUS_CALLBACK_TIMEOUT_MS; one cut short anyway is
    // redelivered by another replica once its lease ends (at least once).
    await Promise.allSettled([...this.lanes]);
  }

  /**
   * Claims and delivers until nothing is due. Then one lane that is not delivering stays and
   * polls, the others end: an idle replica makes one claim per STATUS_CALLBACK_POLL_MS, and a
   * backlog opens lanes again, one more at each successful claim. Lanes stuck on a slow host
   * do not count as the poller, so other hosts' events are still picked up within a poll.
   */
  private async lane(): Promise<void> {
    try {
      while (!this.stop.stopped) {
        let claim: ClaimedMessage | undefined;
        try {
          claim = await this.claimInTurn();
          this.claimFailures = 0;
        } catch (error) {
          // The database is down: one warning per failure streak's doubling, and a pause that
          // doubles (up to 30 s) instead of a claim every poll.
          this.claimFailures++;
          if ((this.claimFailures & (this.claimFailures - 1)) === 0)
            this.logger.warn(
              { err: describeError(error), failures: this.claimFailures },
              'Status callbacks: claiming failed',
            );
          if (this.laneCount - this.delivering > 1) return;
          await this.stop.pause(
            Math.min(30_000, this.settings.pollMs * 2 ** Math.min(this.claimFailures, 15)),
          );
          continue;
        }
        if (!claim) {
          // Checked and left in one step, so two idle lanes cannot both see two and both leave.
          if (this.laneCount - this.delivering > 1) return;
          await this.stop.pause(this.settings.pollMs);
          continue;
        }
        try {
          this.openLane();
          if (this.stop.stopped) {
            // Claimed as shutdown began: handed back at once rather than held for its lease.
            await this.outbox.settle(claim).catch(() => undefined);
            return;
          }
          await this.deliver(claim);
        } finally {
          this.delivering--;
          this.hostSlots.release(claim.host);
          if (claim.clientId !== undefined) this.clientSlots.release(claim.clientId);
        }
      }
    } finally {
      // Synchronous with the `return` above (finally runs before the function yields).
      this.laneCount--;
    }
  }

  /**
   * One claim at a time on this replica: the full hosts and clients a claim skips are then
   * exact, and the claimed message's slots are taken before the next claim reads them.
   */
  private claimInTurn(): Promise<ClaimedMessage | undefined> {
    const claimed = this.claimTurn.then(() => this.claimForFreeHost());
    this.claimTurn = claimed.catch(() => undefined);
    return claimed;
  }

  private async claimForFreeHost(): Promise<ClaimedMessage | undefined> {
    for (let handedBack = 0; handedBack < 10; handedBack++) {
      const claim = await this.outbox.claim(new Date(), this.settings.leaseMs, {
        hosts: this.hostSlots.full(),
        clients: this.clientSlots.full(),
      });
      if (!claim) return undefined;
      const client = claim.clientId;
      if (!this.hostSlots.isFull(claim.host) && !(client && this.clientSlots.isFull(client))) {
        this.hostSlots.take(claim.host);
        if (client !== undefined) this.clientSlots.take(client);
        this.delivering++;
        return claim;
      }
      // Stored before messages carried their host, so the claim could not skip it: handed back
      // (the settle stores its host), and the next claim does.
      await this.outbox.settle(claim);
    }
    return undefined;
  }

  private async deliver(claim: ClaimedMessage): Promise<void> {
    const event = claim.event;
    try {
      const outcome = event ? await this.attempts.make(claim, event) : undefined;
      const ours = await this.outbox.settle(claim, outcome);
      if (!ours) {
        this.logger.warn(
          { messageId: claim.messageId.toHexString(), eventId: event?.id },
          'Status callback settled after its lease ended: another worker took it over',
        );
        return;
      }
      // Counted once recorded: an outcome that could not be written is not counted twice.
      if (outcome) this.count(outcome, event!);
    } catch (error) {
      // The lease runs out and another lane (or replica) tries again.
      this.logger.error(
        { messageId: claim.messageId.toHexString(), err: describeError(error) },
        'Status callback delivery could not be recorded',
      );
    }
  }

  private count(outcome: AttemptOutcome, event: CallbackEvent): void {
    // Typed against the outcomes MetricsService exports at 0, so the two lists cannot drift.
    const counted: CallbackOutcome = outcome.state === 'pending' ? 'retried' : outcome.state;
    this.metrics.callbackEvents.inc({ outcome: counted });
    if (outcome.state === 'delivered')
      this.metrics.callbackLatency.observe(
        (outcome.at.getTime() - new Date(event.occurredAt).getTime()) / 1000,
      );
  }
}
