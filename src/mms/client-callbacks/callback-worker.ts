import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AllConfig } from '../../config/config.type';
import { StatusCallbacksConfig } from '../../config/status-callbacks.config';
import { MetricsService } from '../../metrics/metrics.service';
import { describeError } from '../../shared/describe-error';
import { CallbackEvent } from '../message-log/callback-event.schema';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signCallback } from './callback-signature';
import {
  AttemptOutcome,
  CallbackOutboxRepository,
  ClaimedMessage,
} from './callback-outbox.repository';
import { CallbackHttp, PostResult } from './callback-http';
import { retryDelayMs } from './callback-retry';

/** The JSON body a client receives (README "Status callbacks to your service"). */
export function callbackPayload(messageId: string, event: CallbackEvent) {
  return {
    id: event.id,
    type: 'message.status',
    messageId,
    status: event.status,
    previousStatus: event.previousStatus,
    errorCode: event.errorCode ?? null,
    errorMessage: event.errorMessage ?? null,
    plivoMessageUuid: event.plivoMessageUuid ?? null,
    channel: event.channel,
    occurredAt: new Date(event.occurredAt).toISOString(),
    sequence: event.sequence,
  };
}

/**
 * Delivers status callback events from the outbox, on every replica. Each replica claims due
 * messages (one event each: a message's events go out one after the other, in sequence order)
 * up to STATUS_CALLBACK_CONCURRENCY at a time, polling every STATUS_CALLBACK_POLL_MS and at
 * once after each delivery. Nothing is queued in memory: an endpoint that is down leaves its
 * events in MongoDB, due at their next attempt. Runs apart from every request, so a slow client
 * never delays Plivo's webhooks or an API answer.
 */
@Injectable()
export class CallbackWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(CallbackWorker.name);
  private readonly settings: StatusCallbacksConfig;
  private readonly inFlight = new Set<Promise<void>>();
  private timer?: NodeJS.Timeout;
  private pumping = false;
  private stopped = false;

  constructor(
    private readonly outbox: CallbackOutboxRepository,
    private readonly http: CallbackHttp,
    private readonly metrics: MetricsService,
    config: ConfigService<AllConfig, true>,
  ) {
    this.settings = config.get('statusCallbacks', { infer: true });
  }

  onApplicationBootstrap(): void {
    // Without a secret nothing can be signed: events wait (in MongoDB) until one is set.
    if (this.settings.secrets.length === 0) return;
    this.schedule(0);
  }

  /** Before the database connection closes, so deliveries under way can record their outcome. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    // Deliveries under way end within STATUS_CALLBACK_TIMEOUT_MS; one cut short is redelivered
    // by another replica once its lease ends (at least once).
    await Promise.allSettled([...this.inFlight]);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.pump(), ms);
    this.timer.unref();
  }

  /** Claims due messages while slots are free; then waits for a slot or the next poll. */
  private async pump(): Promise<void> {
    if (this.pumping || this.stopped) return;
    this.pumping = true;
    try {
      while (!this.stopped && this.inFlight.size < this.settings.concurrency) {
        const claim = await this.outbox.claim(new Date(), this.settings.leaseMs);
        if (!claim) break;
        const delivery = this.deliver(claim).finally(() => {
          this.inFlight.delete(delivery);
          this.schedule(0);
        });
        this.inFlight.add(delivery);
      }
    } catch (error) {
      this.logger.warn({ err: describeError(error) }, 'Status callbacks: claiming failed');
    } finally {
      this.pumping = false;
    }
    if (this.inFlight.size >= this.settings.concurrency) return; // a finishing delivery pumps
    this.schedule(this.settings.pollMs);
  }

  private async deliver(claim: ClaimedMessage): Promise<void> {
    try {
      const outcome = claim.event ? await this.attempt(claim, claim.event) : undefined;
      const ours = await this.outbox.settle(claim, outcome);
      if (!ours)
        this.logger.warn(
          { messageId: claim.messageId.toHexString(), eventId: claim.event?.id },
          'Status callback settled after its lease ended: another worker took it over',
        );
    } catch (error) {
      // The lease runs out and another worker (or this one) tries again.
      this.logger.error(
        { messageId: claim.messageId.toHexString(), err: describeError(error) },
        'Status callback delivery could not be recorded',
      );
    }
  }

  private async attempt(claim: ClaimedMessage, event: CallbackEvent): Promise<AttemptOutcome> {
    const body = JSON.stringify(callbackPayload(claim.messageId.toHexString(), event));
    const started = new Date();
    const result = await this.http.post(claim.url, body, {
      [SIGNATURE_HEADER]: signCallback(body, this.settings.secrets, started.getTime() / 1000),
      [EVENT_ID_HEADER]: event.id,
    });
    const at = new Date();
    const outcome = this.outcomeOf(result, event, at);
    this.metrics.callbackEvents.inc({
      outcome: outcome.state === 'pending' ? 'retried' : outcome.state,
    });
    if (outcome.state === 'delivered')
      this.metrics.callbackLatency.observe(
        (at.getTime() - new Date(event.occurredAt).getTime()) / 1000,
      );
    const log = outcome.state === 'delivered' ? 'debug' : 'warn';
    this.logger[log](
      {
        messageId: claim.messageId.toHexString(),
        eventId: event.id,
        sequence: event.sequence,
        state: outcome.state,
        httpStatus: outcome.httpStatus,
        error: outcome.error,
        attempts: (event.attempts ?? 0) + 1,
        nextAttemptAt: outcome.nextAttemptAt,
      },
      'Status callback attempt',
    );
    return outcome;
  }

  /** 2xx done; 410 stop; anything else retried with backoff until the event is too old. */
  private outcomeOf(result: PostResult, event: CallbackEvent, at: Date): AttemptOutcome {
    const base =
      'httpStatus' in result ? { httpStatus: result.httpStatus } : { error: result.error };
    if ('httpStatus' in result && result.httpStatus >= 200 && result.httpStatus < 300)
      return { state: 'delivered', at, ...base };
    if ('httpStatus' in result && result.httpStatus === 410)
      return { state: 'stopped', at, ...base, stopMessage: true };
    const next = new Date(at.getTime() + retryDelayMs((event.attempts ?? 0) + 1, this.settings));
    const expires = new Date(event.occurredAt).getTime() + this.settings.maxAgeMs;
    if (next.getTime() > expires) return { state: 'abandoned', at, ...base };
    return { state: 'pending', at, ...base, nextAttemptAt: next };
  }
}
