import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { GATEWAY_CLIENT_ID } from '../../../../config/clients.config';
import { AllConfig } from '../../../../config/config.type';
import { MetricsService } from '../../../../metrics/metrics.service';
import { describeError } from '../../../../shared/describe-error';
import { MessageLogRepository } from '../../../message-log/message-log.repository';
import { OptOutsService } from '../../../opt-outs/opt-outs.service';
import { Pacer } from '../../../pacing/pacer';
import { PLIVO_WEBHOOK_ROUTES } from '../../../plivo/webhook-routes';
import { RecordSendFailureUseCase } from '../record-send-failure/record-send-failure.usecase';
import { SendAttemptsUseCase } from '../send-attempts/send-attempts.usecase';
import { acceptedChange } from '../../accepted-response';

export type ReplyReason = 'opt-out-confirmation' | 'opt-in-confirmation' | 'help';

export interface Reply {
  /** Our number: the one that received the keyword. */
  from: string;
  /** The person who sent it. */
  to: string;
  text: string;
  reason: ReplyReason;
  /** Who may read the reply in the log (the inbound number's client), else the gateway. */
  clientId?: string;
}

export type ReplyOutcome = 'sent' | 'failed' | 'suppressed';

export interface ReplyResult {
  outcome: ReplyOutcome;
  /** False only when Plivo certainly does not have the reply (suppressed, or refused/unreached). */
  mayHaveReachedPlivo: boolean;
}

/** The reply was not sent, and Plivo was never called: storing it in the log failed. */
export class ReplyNotSentError extends Error {
  constructor(cause: unknown) {
    super('The reply could not be logged; Plivo was not called', { cause });
  }
}

/** Plivo's own queue limit: a reply that cannot go sooner is not worth sending. */
const REPLY_MAX_WAIT_MS = 3 * 3_600_000;

/**
 * The replies that may go to someone who opted out: the STOP confirmation (only this once, from
 * the STOP that made the change) and the HELP reply (CTIA: HELP is always answered).
 */
const REACHES_OPTED_OUT: ReadonlySet<ReplyReason> = new Set(['opt-out-confirmation', 'help']);

/**
 * An automatic SMS reply to STOP, START or HELP, through the same path as any message: logged
 * before Plivo is called (channel sms, `reason`), sent with the same retries, its outcome and
 * callbacks recorded. Only the STOP confirmation and the HELP reply may go to someone who
 * opted out.
 */
@Injectable()
export class SendReplyUseCase {
  private readonly logger = new Logger(SendReplyUseCase.name);
  private readonly publicBaseUrl: string;

  constructor(
    private readonly logs: MessageLogRepository,
    private readonly attempts: SendAttemptsUseCase,
    private readonly recordFailure: RecordSendFailureUseCase,
    private readonly optOuts: OptOutsService,
    private readonly metrics: MetricsService,
    private readonly pacer: Pacer,
    config: ConfigService<AllConfig, true>,
  ) {
    this.publicBaseUrl = config.get('app.publicBaseUrl', { infer: true });
  }

  /** Throws ReplyNotSentError when it failed before calling Plivo; other errors: unknown. */
  async execute(reply: Reply): Promise<ReplyResult> {
    const clientId = reply.clientId ?? GATEWAY_CLIENT_ID;
    const allowOptedOut = REACHES_OPTED_OUT.has(reply.reason);
    if (!allowOptedOut && (await this.optOuts.isOptedOut(reply.from, reply.to))) {
      this.metrics.messages.inc({ outcome: 'refused', reason: 'opted-out', client: clientId });
      return { outcome: 'suppressed', mayHaveReachedPlivo: false };
    }
    await this.waitForSlot(reply);
    const id = await this.logPending(reply, clientId);
    const callbackUrl = `${this.publicBaseUrl}${PLIVO_WEBHOOK_ROUTES.status}?ref=${id.toHexString()}`;
    const outcome = await this.attempts.execute(
      id,
      {
        src: reply.from,
        dst: reply.to,
        text: reply.text,
        type: 'sms',
        mediaUrls: [],
        mediaIds: [],
        callbackUrl,
      },
      this.attempts.startDeadline(),
      { allowOptedOut },
    );
    if ('optedOut' in outcome) {
      // Recorded and counted as for any send the list stopped mid-way; the 422 is for clients.
      await this.recordFailure.optedOut(id, clientId);
      return { outcome: 'suppressed', mayHaveReachedPlivo: false };
    }
    if ('failure' in outcome) {
      await this.recordFailure.execute(id, clientId, outcome.failure, outcome.durationMs);
      // Only a timeout or a reset after the request was written may have queued it at Plivo.
      return { outcome: 'failed', mayHaveReachedPlivo: outcome.failure.kind === 'ambiguous' };
    }
    this.metrics.messages.inc({ outcome: 'queued', reason: reply.reason, client: clientId });
    try {
      await this.logs.recordStatusChange(
        { _id: id },
        acceptedChange(outcome.acceptance, outcome.durationMs),
      );
    } catch (error) {
      this.logger.error(
        { messageId: id.toHexString(), err: describeError(error) },
        'Reply sent, but the log update failed',
      );
    }
    return { outcome: 'sent', mayHaveReachedPlivo: true };
  }

  /**
   * The reply is one more SMS for Plivo's rate: it waits for its slot (in the background, the
   * webhook has answered). No slot within Plivo's 3 h: not sent, like a failure before Plivo.
   */
  private async waitForSlot(reply: Reply): Promise<void> {
    if (!this.pacer.paces('sms')) return;
    const now = new Date();
    const reservation = await this.pacer
      .reserve('sms', reply.from, now, new Date(now.getTime() + REPLY_MAX_WAIT_MS))
      .catch((error: unknown) => {
        throw new ReplyNotSentError(error);
      });
    if ('refusedUntil' in reservation)
      throw new ReplyNotSentError(new Error('no SMS pacing slot within 3 hours'));
    const wait = reservation.slot.getTime() - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  private async logPending(reply: Reply, clientId: string) {
    try {
      return await this.logs.createPending({
        clientId,
        channel: 'sms',
        reason: reply.reason,
        sender: reply.from,
        recipient: reply.to,
        text: reply.text,
        mediaUrls: [],
        mediaIds: [],
      });
    } catch (error) {
      throw new ReplyNotSentError(error);
    }
  }
}
