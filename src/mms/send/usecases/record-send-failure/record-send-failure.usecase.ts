import { HttpException, Injectable, Logger, UnprocessableEntityException } from '@nestjs/common';
import { Types } from 'mongoose';
import { MetricsService } from '../../../../metrics/metrics.service';
import { describeError } from '../../../../shared/describe-error';
import { MessageLogRepository } from '../../../message-log/message-log.repository';
import { PlivoFailure } from '../../../plivo/plivo-failure';
import { answerCode, failureCode, toHttpException } from '../../plivo-failure-to-http';

/**
 * A send that ended without Plivo's acceptance: counted, logged, and written to the message
 * log as `failed` (or `unknown` when Plivo may have queued it); returns the client's answer.
 */
@Injectable()
export class RecordSendFailureUseCase {
  private readonly logger = new Logger(RecordSendFailureUseCase.name);

  constructor(
    private readonly logs: MessageLogRepository,
    private readonly metrics: MetricsService,
  ) {}

  async execute(
    id: Types.ObjectId,
    clientId: string,
    failure: PlivoFailure,
    durationMs: number,
    answer: HttpException = toHttpException(failure, id.toHexString()),
  ): Promise<HttpException> {
    const ambiguous = failure.kind === 'ambiguous';
    this.metrics.messages.inc({
      outcome: ambiguous ? 'unknown' : 'failed',
      reason: failure.kind,
      client: clientId,
    });
    const level = failure.kind === 'auth' || failure.kind === 'unexpected' ? 'error' : 'warn';
    this.logger[level](
      {
        messageId: id.toHexString(),
        clientId,
        kind: failure.kind,
        httpStatus: failure.httpStatus,
        reason: failure.reason,
      },
      'Plivo send failed',
    );
    try {
      await this.logs.recordStatusChange(
        { _id: id },
        {
          status: ambiguous ? 'unknown' : 'failed',
          source: 'plivo-response',
          detail: failure.reason,
          setIfApplied: {
            errorCode: answerCode(answer) ?? failureCode(failure),
            errorMessage: failure.reason,
          },
          attempt: {
            at: new Date(),
            outcome: failure.kind,
            httpStatus: failure.httpStatus,
            error: failure.reason,
            durationMs,
          },
        },
      );
    } catch (error) {
      this.logger.error(
        { messageId: id.toHexString(), err: describeError(error) },
        'Could not record the send failure',
      );
    }
    return answer;
  }

  /**
   * The recipient opted out while the send was in progress (a STOP during a retry's backoff):
   * nothing more is sent; the log says so, and the answer is the 422 a send after the STOP gets.
   */
  async optedOut(id: Types.ObjectId, clientId: string): Promise<HttpException> {
    this.metrics.messages.inc({ outcome: 'refused', reason: 'opted-out', client: clientId });
    const message =
      'The recipient opted out (STOP) while the send was in progress; nothing more was sent';
    await this.logs
      .recordStatusChange(
        { _id: id },
        {
          status: 'failed',
          source: 'api',
          detail: message,
          setIfApplied: { errorCode: 'RECIPIENT_OPTED_OUT', errorMessage: message },
        },
      )
      .catch((error: unknown) =>
        this.logger.error(
          { messageId: id.toHexString(), err: describeError(error) },
          'Could not record the opt-out refusal',
        ),
      );
    return new UnprocessableEntityException({
      message,
      code: 'RECIPIENT_OPTED_OUT',
      messageId: id.toHexString(),
    });
  }
}
