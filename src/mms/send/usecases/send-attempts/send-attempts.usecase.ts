import { Injectable, Logger } from '@nestjs/common';
import { Types } from 'mongoose';
import { MessageLogRepository } from '../../../message-log/message-log.repository';
import {
  MessagingProvider,
  OutboundMessage,
  ProviderAcceptance,
  ProviderSendError,
} from '../../../plivo/messaging-provider';
import { PlivoFailure } from '../../../plivo/plivo-failure';
import { describeError } from '../../../../shared/describe-error';
import { OptOutsService } from '../../../opt-outs/opt-outs.service';
import { RETRY_HEADROOM_MS, SendDeadline, SendRetryPolicy } from './send-retry-policy';

export type AttemptsOutcome =
  | { acceptance: ProviderAcceptance; durationMs: number }
  | { failure: PlivoFailure; durationMs: number }
  /** The recipient opted out of this sender before an attempt: nothing more was sent. */
  | { optedOut: true; durationMs: number };

export interface AttemptOptions {
  /**
   * Check the opt-out list before the first attempt too (the SMS fallback). Retries are always
   * checked: a STOP that lands during a backoff stops the send. The first attempt of a send
   * relies on the check its caller made, so a normal send costs one read.
   */
  checkFirst?: boolean;
  /** Only the single STOP confirmation may go to an opted-out recipient. */
  allowOptedOut?: boolean;
}

/**
 * Sends one message to Plivo, retrying only failures after which Plivo certainly has no
 * message (the retry policy), all inside one deadline; each failed attempt is recorded.
 */
@Injectable()
export class SendAttemptsUseCase {
  private readonly logger = new Logger(SendAttemptsUseCase.name);

  constructor(
    private readonly provider: MessagingProvider,
    private readonly retryPolicy: SendRetryPolicy,
    private readonly logs: MessageLogRepository,
    private readonly optOuts: OptOutsService,
  ) {}

  /** One deadline for a whole request, SMS fallback included. */
  startDeadline(): SendDeadline {
    return this.retryPolicy.startDeadline();
  }

  async execute(
    id: Types.ObjectId,
    message: OutboundMessage,
    deadline: SendDeadline,
    options: AttemptOptions = {},
  ): Promise<AttemptsOutcome> {
    let last: { failure: PlivoFailure; durationMs: number } | undefined;
    for (let attempt = 1; ; attempt++) {
      if (!options.allowOptedOut && (attempt > 1 || options.checkFirst)) {
        const optedOut = await this.optOuts
          .isOptedOut(message.src, message.dst)
          .catch((error: unknown) => {
            // A retry is never worth sending blind: stop with the last failure (nothing was sent).
            if (last) return undefined;
            throw error;
          });
        if (optedOut === undefined && last) return last;
        if (optedOut) return { optedOut: true, durationMs: 0 };
      }
      const started = Date.now();
      try {
        const acceptance = await deadline.race(this.provider.send(message));
        return { acceptance, durationMs: Date.now() - started };
      } catch (error) {
        const failure = toFailure(error);
        const durationMs = Date.now() - started;
        const delay = failure.retryable ? this.retryPolicy.nextDelay(attempt, deadline) : undefined;
        if (delay === undefined) return { failure, durationMs };
        last = { failure, durationMs };
        await this.recordFailedAttempt(id, failure, durationMs);
        this.logger.warn(
          { messageId: id.toHexString(), attempt, kind: failure.kind, retryInMs: delay },
          'Plivo send failed; retrying',
        );
        await sleep(delay);
        // Recording the attempt and waiting took time: never start an attempt past the deadline.
        if (Date.now() + RETRY_HEADROOM_MS >= deadline.endsAt) return { failure, durationMs };
      }
    }
  }

  /** Best effort: a database blip here must not leave the log pending forever. */
  private async recordFailedAttempt(
    id: Types.ObjectId,
    failure: PlivoFailure,
    durationMs: number,
  ): Promise<void> {
    await this.logs
      .recordAttempt(id, {
        at: new Date(),
        outcome: failure.kind,
        httpStatus: failure.httpStatus,
        error: failure.reason,
        durationMs,
      })
      .catch((error: unknown) =>
        this.logger.warn(
          { messageId: id.toHexString(), err: describeError(error) },
          'Could not record a failed attempt',
        ),
      );
  }
}

function toFailure(error: unknown): PlivoFailure {
  if (error instanceof ProviderSendError) return error.failure;
  return { kind: 'unexpected', reason: 'The Plivo client failed unexpectedly', retryable: false };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
