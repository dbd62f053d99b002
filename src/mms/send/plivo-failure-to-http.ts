import {
  BadGatewayException,
  BadRequestException,
  GatewayTimeoutException,
  HttpException,
  HttpStatus,
  InternalServerErrorException,
} from '@nestjs/common';
import { PlivoFailure } from '../plivo/plivo-failure';
import { RetryableHttpException } from '../../shared/retryable.exception';

/** How long a client should wait before retrying after Plivo was busy or unreachable. */
const PLIVO_RETRY_AFTER_SECONDS = 5;

export const FAILURE_CODES: Record<PlivoFailure['kind'], string> = {
  rejected: 'PLIVO_REJECTED',
  auth: 'PLIVO_AUTH_FAILED',
  throttled: 'PLIVO_THROTTLED',
  unavailable: 'PLIVO_UNAVAILABLE',
  network: 'PLIVO_UNREACHABLE',
  ambiguous: 'PLIVO_OUTCOME_UNKNOWN',
  unexpected: 'PLIVO_CLIENT_ERROR',
};

/** Failure classes after which Plivo certainly created no message. */
const NOTHING_SENT_KINDS: PlivoFailure['kind'][] = [
  'rejected',
  'auth',
  'throttled',
  'unavailable',
  'network',
];

/** Whether a logged error code proves Plivo created no message (a 422 destination refusal too). */
export function provesNothingSent(code: string): boolean {
  return (
    code === 'MMS_UNSUPPORTED_DESTINATION' ||
    code === 'SEND_BACKLOG_FULL' ||
    NOTHING_SENT_KINDS.some((kind) => FAILURE_CODES[kind] === code)
  );
}

/**
 * Whether one logged attempt proves Plivo created nothing. Logs written before a Plivo 500
 * was ambiguous recorded it as `unavailable`: only a 502/503 is that now.
 */
export function attemptProvesNothingSent(attempt: {
  outcome: string;
  httpStatus?: number;
}): boolean {
  if (attempt.outcome === 'unavailable') return attempt.httpStatus !== 500;
  return (NOTHING_SENT_KINDS as string[]).includes(attempt.outcome);
}

/** The stable error code a client (and the message log) sees for each failure class. */
export function failureCode(failure: PlivoFailure): string {
  return FAILURE_CODES[failure.kind];
}

/** How each failure class is told to our client (the table under "POST /send-mms" in docs/api.md). */
export function toHttpException(failure: PlivoFailure, messageId: string): HttpException {
  const body = { messageId, code: failureCode(failure) };
  switch (failure.kind) {
    case 'rejected':
      return new BadRequestException({ ...body, message: failure.reason });
    case 'auth':
      // Our credentials are wrong: an operator problem, never the caller's 401.
      return new BadGatewayException({
        ...body,
        message: 'The MMS provider refused our credentials; the operator has been alerted',
      });
    case 'throttled':
    case 'unavailable':
    case 'network':
      return new RetryableHttpException(
        { ...body, message: `${failure.reason}; the message was not sent, retry later` },
        HttpStatus.SERVICE_UNAVAILABLE,
        PLIVO_RETRY_AFTER_SECONDS,
      );
    case 'ambiguous':
      return new GatewayTimeoutException({
        ...body,
        message: `${failure.reason}. Plivo may have queued the message: it was not resent, and its status callback will settle it. Poll GET /messages/${messageId} instead of retrying.`,
      });
    default:
      return new InternalServerErrorException({ ...body, message: failure.reason });
  }
}

/** The error code an answer carries, for the message log. */
export function answerCode(answer: HttpException): string | undefined {
  const response = answer.getResponse();
  return typeof response === 'object' && response !== null && 'code' in response
    ? String((response as { code: unknown }).code)
    : undefined;
}
