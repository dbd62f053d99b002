import { HttpException, Injectable } from '@nestjs/common';
import { Types } from 'mongoose';
import { MessageLogRepository } from '../../message-log/message-log.repository';
import { acceptedResponse, scheduledResponse } from '../accepted-response';
import {
  attemptProvesNothingSent,
  FAILURE_CODES,
  provesNothingSent,
  toHttpException,
} from '../plivo-failure-to-http';

/** What to do with a key whose holder stopped before answering. */
export type LapsedKeyVerdict =
  /** Plivo accepted the message: answer 202 as the first request would have. */
  | { answer: 'accepted'; status: 202; body: Record<string, unknown> }
  /** Plivo may have it: never resend; the client polls the message. */
  | { answer: 'unknown'; exception: HttpException }
  /** The log proves nothing reached Plivo: the key may be retried, under `messageId`. */
  | { answer: 'retry'; messageId: Types.ObjectId };

/**
 * Settles an Idempotency-Key whose request died (its lease ran out) from the message log,
 * which the send path writes before calling Plivo and after each answer.
 */
@Injectable()
export class LapsedKeyResolver {
  constructor(private readonly logs: MessageLogRepository) {}

  async resolve(messageId: Types.ObjectId | undefined): Promise<LapsedKeyVerdict> {
    // No id chosen (a key written before leases existed never lapses, so this is defensive).
    if (!messageId) return unknown(undefined);
    const log = await this.logs.findById(messageId);
    // The log is written before Plivo is called: no log, no send (so far). The retry sends
    // under the same id, so a holder that is only slow cannot also log and send.
    if (!log) return { answer: 'retry', messageId };
    // Held by the gateway (a sendAt, or a pacing slot): the first answer was 202 scheduled,
    // whatever the dispatchers have done with it since.
    if (log.sendAt && log.validUntil) {
      const body = scheduledResponse(messageId.toHexString(), log.sendAt, log.validUntil, log);
      return { answer: 'accepted', status: 202, body: { ...body } };
    }
    if (log.plivoMessageUuid) {
      const body = acceptedResponse(
        messageId.toHexString(),
        {
          message: 'message(s) queued',
          messageUuid: [log.plivoMessageUuid],
          apiId: log.plivoApiId ?? '',
        },
        log.channel,
        log.fallbackReason,
      );
      return { answer: 'accepted', status: 202, body: { ...body } };
    }
    // A final "not sent" failure: its holder sent nothing and will not; a new log for the retry.
    // Every attempt must say so too: a log written before a Plivo 500 counted as ambiguous may
    // end in a 503 after a retried 500, which Plivo may have queued.
    if (
      log.status === 'failed' &&
      log.errorCode &&
      provesNothingSent(log.errorCode) &&
      (log.attemptLog ?? []).every(attemptProvesNothingSent)
    )
      return { answer: 'retry', messageId: new Types.ObjectId() };
    // Plivo may have it. A log still `pending` says so from now on, as a 504 send does (unless
    // the pending reconciler, or a callback, got there first).
    if (log.status === 'pending')
      await this.logs.settlePendingAsUnknown(
        { _id: messageId },
        {
          detail: 'The request stopped before Plivo answered (its Idempotency-Key lease ran out)',
          errorCode: FAILURE_CODES.ambiguous,
        },
      );
    return unknown(messageId);
  }
}

function unknown(messageId: Types.ObjectId | undefined): LapsedKeyVerdict {
  return {
    answer: 'unknown',
    exception: toHttpException(
      {
        kind: 'ambiguous',
        reason: 'The request that held this Idempotency-Key stopped before it answered',
        retryable: false,
      },
      messageId?.toHexString() ?? '',
    ),
  };
}
