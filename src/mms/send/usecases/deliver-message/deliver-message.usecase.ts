import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Types } from 'mongoose';
import { AllConfig } from '../../../../config/config.type';
import { MetricsService } from '../../../../metrics/metrics.service';
import { describeError } from '../../../../shared/describe-error';
import { MessageLogRepository } from '../../../message-log/message-log.repository';
import { Pacer } from '../../../pacing/pacer';
import { OutboundMessage, ProviderAcceptance } from '../../../plivo/messaging-provider';
import { PLIVO_WEBHOOK_ROUTES } from '../../../plivo/webhook-routes';
import { acceptedChange } from '../../accepted-response';
import { RecordSendFailureUseCase } from '../record-send-failure/record-send-failure.usecase';
import { SendAttemptsUseCase } from '../send-attempts/send-attempts.usecase';
import { RETRY_HEADROOM_MS } from '../send-attempts/send-retry-policy';
import { RetryableHttpException } from '../../../../shared/retryable.exception';
import {
  ChannelPlan,
  isMmsRefusal,
  smsFallback,
  unsupportedDestination,
} from '../send-mms/destination-policy';

/** A logged message (`pending`) to hand to Plivo now. */
export interface Deliverable {
  id: Types.ObjectId;
  clientId: string;
  sender: string;
  recipient: string;
  /** The client's text and media, for an SMS fallback decided on Plivo's refusal. */
  text: string;
  mediaUrls: string[];
  mediaIds: string[];
  plan: ChannelPlan;
  fallbackAllowed: boolean;
  /** Plivo's message_expiry is what is left of it, so Plivo never sends it late either. */
  validUntil?: Date;
  /** Check the opt-out list before the first attempt (a message the gateway held). */
  checkFirst?: boolean;
}

export interface Delivered {
  acceptance: ProviderAcceptance;
  plan: ChannelPlan;
}

/** Retry-After of a fallback that found no SMS slot. */
const SMS_SLOT_RETRY_AFTER_S = 5;

/** Plivo's bounds of message_expiry, in seconds (its Send Message API). */
const EXPIRY_MIN_S = 5;
const EXPIRY_MAX_S = 10_799;

/**
 * Hands one logged message to Plivo: with retries inside one deadline, the SMS fallback when
 * Plivo refuses the MMS for its destination (paced on the SMS rate), then `queued` in the log.
 * Throws the client's answer (already recorded in the log) when it ends otherwise. Shared by
 * the request path and the dispatch queue.
 */
@Injectable()
export class DeliverMessageUseCase {
  private readonly logger = new Logger(DeliverMessageUseCase.name);
  private readonly publicBaseUrl: string;

  constructor(
    private readonly logs: MessageLogRepository,
    private readonly attempts: SendAttemptsUseCase,
    private readonly recordFailure: RecordSendFailureUseCase,
    private readonly metrics: MetricsService,
    private readonly pacer: Pacer,
    config: ConfigService<AllConfig, true>,
  ) {
    this.publicBaseUrl = config.get('app.publicBaseUrl', { infer: true });
  }

  async execute(message: Deliverable): Promise<Delivered> {
    const { acceptance, durationMs, plan } = await this.sendWithFallback(message).catch(
      (error: unknown) => {
        this.metrics.senderMessages.inc({ sender: message.sender, outcome: 'not-queued' });
        throw error;
      },
    );
    this.metrics.senderMessages.inc({ sender: message.sender, outcome: 'queued' });
    await this.recordAccepted(message.id, acceptance, durationMs);
    this.metrics.messages.inc({
      outcome: 'queued',
      reason: plan.channel === 'sms' ? 'sms-fallback' : 'ok',
      client: message.clientId,
    });
    return { acceptance, plan };
  }

  private async sendWithFallback(
    message: Deliverable,
  ): Promise<{ acceptance: ProviderAcceptance; durationMs: number; plan: ChannelPlan }> {
    const { id, clientId } = message;
    // `ref` lets a callback find its log even before Plivo's UUID is stored; V3 signs it.
    const callbackUrl = `${this.publicBaseUrl}${PLIVO_WEBHOOK_ROUTES.status}?ref=${id.toHexString()}`;
    const deadline = this.attempts.startDeadline();
    const send = (p: ChannelPlan, checkFirst = false) =>
      this.attempts.execute(id, this.outbound(p, message, callbackUrl), deadline, {
        checkFirst,
      });

    let plan = message.plan;
    let outcome = await send(plan, message.checkFirst);
    if ('failure' in outcome && plan.channel === 'mms' && isMmsRefusal(outcome.failure)) {
      const refusal = outcome.failure;
      const fallback = message.fallbackAllowed
        ? smsFallback(message.text, message.mediaUrls, message.mediaIds, refusal.reason)
        : undefined;
      if (!fallback || 'refused' in fallback) {
        const answer = unsupportedDestination(refusal.reason, fallback, id);
        throw await this.recordFailure.execute(id, clientId, refusal, outcome.durationMs, answer);
      }
      plan = fallback;
      await this.logs.switchToSms(id, refusal.reason, {
        at: new Date(),
        outcome: refusal.kind,
        httpStatus: refusal.httpStatus,
        error: refusal.reason,
        durationMs: outcome.durationMs,
      });
      // The fallback is one more message for Plivo: it waits for a slot of the SMS rate, within
      // the send's deadline and the validity; none: not sent.
      if (!(await this.waitForSmsSlot(message, deadline.endsAt - RETRY_HEADROOM_MS))) {
        const reason =
          "No slot of Plivo's SMS rate (pacing) for the SMS fallback within the send's deadline and validity; nothing was sent";
        const answer = new RetryableHttpException(
          { message: reason, code: 'SEND_BACKLOG_FULL', messageId: id.toHexString() },
          503,
          SMS_SLOT_RETRY_AFTER_S,
        );
        const failure = { kind: 'throttled' as const, reason, retryable: false };
        throw await this.recordFailure.execute(id, clientId, failure, 0, answer);
      }
      // A new attempt after a refusal: the recipient may have opted out meanwhile.
      outcome = await send(plan, true);
    }
    if ('optedOut' in outcome) throw await this.recordFailure.optedOut(id, clientId);
    if ('failure' in outcome)
      throw await this.recordFailure.execute(id, clientId, outcome.failure, outcome.durationMs);
    return { ...outcome, plan };
  }

  /** Waits for an SMS slot no later than `by` (and 5 s before validUntil); false: none. */
  private async waitForSmsSlot(message: Deliverable, by: number): Promise<boolean> {
    if (!this.pacer.paces('sms')) return true;
    const limits = [
      by,
      ...(message.validUntil ? [message.validUntil.getTime() - EXPIRY_MIN_S * 1000] : []),
    ];
    const latest = new Date(Math.min(...limits));
    const reservation = await this.pacer.reserve('sms', message.sender, new Date(), latest);
    if (!('slot' in reservation)) return false;
    await sleep(reservation.slot.getTime() - Date.now());
    return true;
  }

  /** `queued` with Plivo's ids; a failed write is logged, never turned into an error. */
  private async recordAccepted(
    id: Types.ObjectId,
    acceptance: ProviderAcceptance,
    durationMs: number,
  ): Promise<void> {
    try {
      await this.logs.recordStatusChange({ _id: id }, acceptedChange(acceptance, durationMs));
    } catch (error) {
      // Plivo has the message: answering an error would invite a duplicate send. The log stays
      // pending until the status callback (which carries ref) brings it up to date.
      this.logger.error(
        { messageId: id.toHexString(), err: describeError(error) },
        'Sent, but the log update failed',
      );
    }
  }

  private outbound(plan: ChannelPlan, message: Deliverable, callbackUrl: string): OutboundMessage {
    return {
      src: message.sender,
      dst: message.recipient,
      text: plan.text,
      type: plan.channel,
      mediaUrls: plan.mediaUrls,
      mediaIds: plan.mediaIds,
      callbackUrl,
      ...(message.validUntil ? expiryOf(message.validUntil) : {}),
    };
  }
}

/**
 * What is left of the validity as Plivo's message_expiry (at least its minimum), when that is
 * shorter than Plivo's own limit (3 h in its queue): a longer one would change nothing.
 */
export function expiryOf(validUntil: Date, now = Date.now()): { messageExpirySeconds?: number } {
  const leftMs = validUntil.getTime() - now;
  // Compared unrounded: the default validity (3 h from acceptance) is Plivo's own limit.
  if (leftMs > EXPIRY_MAX_S * 1000) return {};
  return { messageExpirySeconds: Math.max(EXPIRY_MIN_S, Math.floor(leftMs / 1000)) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
