import {
  BadGatewayException,
  BadRequestException,
  GatewayTimeoutException,
  HttpException,
  Injectable,
  InternalServerErrorException,
  Logger,
  NotFoundException,
  ServiceUnavailableException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Types } from 'mongoose';
import { AllConfig } from '../../../../config/config.type';
import { MetricsService } from '../../../../metrics/metrics.service';
import { ListMessagesQueryDto, MessageDto, MessageListDto } from '../../../messages/dto/message.dto';
import { MAX_MEDIA, SendMmsDto } from '../../dto/send-mms.dto';
import { SendMmsResponseDto } from '../../dto/send-mms-response.dto';
import { MessageLogRepository } from '../../../message-log/message-log.repository';
import { decodeCursor, encodeCursor, parseMessageId, toMessageDto } from '../../../messages/message-view';
import {
  MessagingProvider,
  OutboundMessage,
  ProviderAcceptance,
  ProviderSendError,
} from '../../../plivo/messaging-provider';
import { PlivoFailure } from '../../../plivo/plivo-failure';
import { SendDeadline, SendRetryPolicy } from '../send-attempts/send-retry-policy';
import { canReceiveMms, ChannelPlan, isMmsRefusal, smsFallback } from './destination-policy';
import { MediaPreflight } from '../../../media/media-preflight';
import { MediaUrlPolicy } from '../../../media/media-url-policy';

export const STATUS_CALLBACK_PATH = '/webhooks/plivo/status';
/** Minimum time an attempt needs to be worth starting. */
const RETRY_HEADROOM_MS = 250;

/** The send path: log → send → update. No HTTP or SDK details here beyond the error mapping. */
@Injectable()
export class MmsService {
  private readonly logger = new Logger(MmsService.name);
  private readonly senderNumber: string;
  private readonly publicBaseUrl: string;
  private readonly preflightEnabled: boolean;
  private readonly fallbackToSms: boolean;

  constructor(
    private readonly logs: MessageLogRepository,
    private readonly provider: MessagingProvider,
    private readonly retryPolicy: SendRetryPolicy,
    private readonly metrics: MetricsService,
    private readonly mediaPolicy: MediaUrlPolicy,
    private readonly preflight: MediaPreflight,
    config: ConfigService<AllConfig, true>,
  ) {
    const send = config.get('send', { infer: true });
    this.preflightEnabled = send.mediaPreflight;
    this.fallbackToSms = send.fallbackToSms;
    this.senderNumber = config.get('plivo.senderNumber', { infer: true });
    this.publicBaseUrl = config.get('app.publicBaseUrl', { infer: true });
  }

  async send(dto: SendMmsDto): Promise<SendMmsResponseDto> {
    const mediaUrls = [...(dto.mediaUrl ? [dto.mediaUrl] : []), ...(dto.mediaUrls ?? [])];
    const mediaIds = dto.mediaIds ?? [];
    assertMediaCount(mediaUrls.length + mediaIds.length);
    // Checks that need no log: refused here, nothing is written and nothing is sent.
    this.mediaPolicy.assertAllowed(mediaUrls);
    if (this.preflightEnabled)
      await this.preflight.assertDeliverable(mediaUrls, Buffer.byteLength(dto.messageText));
    const fallbackAllowed = dto.fallbackToSms ?? this.fallbackToSms;
    let plan = this.planChannel(dto, mediaUrls, mediaIds, fallbackAllowed);

    // Logged before Plivo is called: a crash in between leaves a pending record, never an
    // unrecorded message. A database failure here throws before anything is sent.
    const id = await this.logs.createPending({
      channel: plan.channel,
      fallbackReason: plan.channel === 'sms' ? plan.fallbackReason : undefined,
      sender: this.senderNumber,
      recipient: dto.destinationNumber,
      text: dto.messageText,
      mediaUrls,
      mediaIds,
    });
    // `ref` lets a callback find its log even before Plivo's UUID is stored; V3 signs it.
    const callbackUrl = `${this.publicBaseUrl}${STATUS_CALLBACK_PATH}?ref=${id.toHexString()}`;

    // One deadline for the whole request, SMS fallback included.

    const deadline = this.retryPolicy.startDeadline();

    let outcome = await this.sendWithRetries(
      id,

      this.outbound(plan, dto.destinationNumber, callbackUrl),

      deadline,
    );
    if ('failure' in outcome && plan.channel === 'mms' && isMmsRefusal(outcome.failure)) {
      const refusal = outcome.failure;
      const fallback = fallbackAllowed
        ? smsFallback(dto.messageText, mediaUrls, mediaIds, refusal.reason)
        : undefined;
      if (!fallback || 'refused' in fallback) {
        const detail = fallback
          ? `; no SMS fallback: ${fallback.refused}`
          : '; send fallbackToSms: true to get an SMS with the media links';
        throw await this.recordFailure(
          id,
          refusal,
          outcome.durationMs,
          unsupportedDestination(id, refusal.reason + detail),
        );
      }
      plan = fallback;
      await this.logs.switchToSms(id, refusal.reason, {
        at: new Date(),
        outcome: refusal.kind,
        httpStatus: refusal.httpStatus,
        error: refusal.reason,
        durationMs: outcome.durationMs,
      });
      outcome = await this.sendWithRetries(
        id,
        this.outbound(plan, dto.destinationNumber, callbackUrl),
        deadline,
      );
    }
    if ('failure' in outcome)
      throw await this.recordFailure(id, outcome.failure, outcome.durationMs);

    const { acceptance, durationMs } = outcome;
    try {
      await this.logs.applyStatusChange(
        { _id: id },
        {
          status: 'queued',
          source: 'plivo-response',
          set: { plivoMessageUuid: acceptance.messageUuid[0], plivoApiId: acceptance.apiId },
          attempt: { at: new Date(), outcome: 'ok', httpStatus: 202, durationMs },
        },
      );
    } catch (error) {
      // Plivo has the message: answering an error would invite a duplicate send. The log stays
      // pending until the status callback (which carries ref) brings it up to date.
      this.logger.error(
        { messageId: id.toHexString(), err: describeError(error) },
        'Sent, but the log update failed',
      );
    }
    this.metrics.messages.inc({
      outcome: 'queued',
      reason: plan.channel === 'sms' ? 'sms-fallback' : 'ok',
    });
    return {
      message: 'MMS sending request accepted.',
      messageId: id.toHexString(),
      status: 'queued',
      plivoResponse: acceptance,
      channel: plan.channel,
      ...(plan.channel === 'sms' ? { fallbackReason: plan.fallbackReason } : {}),
    };
  }

  /** MMS where Plivo can deliver it; otherwise an SMS with links when allowed, else 422. */
  private planChannel(
    dto: SendMmsDto,
    mediaUrls: string[],
    mediaIds: string[],
    fallbackAllowed: boolean,
  ): ChannelPlan {
    if (canReceiveMms(dto.destinationNumber))
      return { channel: 'mms', text: dto.messageText, mediaUrls, mediaIds };
    const reason = 'Plivo delivers MMS only to US and Canadian numbers';
    const fallback = fallbackAllowed
      ? smsFallback(dto.messageText, mediaUrls, mediaIds, reason)
      : undefined;
    if (fallback && !('refused' in fallback)) return fallback;
    throw new UnprocessableEntityException({
      message: `${reason}${fallback ? `; no SMS fallback: ${fallback.refused}` : '; send fallbackToSms: true to get an SMS with the media links'}`,
      code: 'MMS_UNSUPPORTED_DESTINATION',
    });
  }

  private outbound(plan: ChannelPlan, destination: string, callbackUrl: string): OutboundMessage {
    return {
      src: this.senderNumber,
      dst: destination,
      text: plan.text,
      type: plan.channel,
      mediaUrls: plan.mediaUrls,
      mediaIds: plan.mediaIds,
      callbackUrl,
    };
  }

  async findOne(rawId: string): Promise<MessageDto> {
    const log = await this.logs.findById(parseMessageId(rawId));
    if (!log)
      throw new NotFoundException({
        message: `No message with id ${rawId}`,
        code: 'MESSAGE_NOT_FOUND',
      });
    return toMessageDto(log);
  }

  async list(query: ListMessagesQueryDto): Promise<MessageListDto> {
    const limit = query.limit ?? 20;
    const logs = await this.logs.list({
      status: query.status,
      direction: query.direction,
      recipient: query.recipient,
      cursor: query.cursor ? decodeCursor(query.cursor) : undefined,
      limit: limit + 1,
    });
    const page = logs.slice(0, limit);
    return {
      items: page.map(toMessageDto),
      nextCursor: logs.length > limit ? encodeCursor(page[page.length - 1]) : null,
    };
  }

  /** Retries only failures after which Plivo certainly has no message, inside one deadline. */
  private async sendWithRetries(
    id: Types.ObjectId,
    message: OutboundMessage,
    deadline: SendDeadline,
  ): Promise<
    | { acceptance: ProviderAcceptance; durationMs: number }
    | { failure: PlivoFailure; durationMs: number }
  > {
    for (let attempt = 1; ; attempt++) {
      const started = Date.now();
      try {
        const acceptance = await deadline.race(this.provider.send(message));
        return { acceptance, durationMs: Date.now() - started };
      } catch (error) {
        const failure = toFailure(error);
        const durationMs = Date.now() - started;
        const delay = failure.retryable ? this.retryPolicy.nextDelay(attempt, deadline) : undefined;
        if (delay === undefined) return { failure, durationMs };
        // Best effort: a database blip here must not leave the log pending forever.
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

  private async recordFailure(
    id: Types.ObjectId,
    failure: PlivoFailure,
    durationMs: number,
    answer: HttpException = toHttpException(failure, id.toHexString()),
  ): Promise<HttpException> {
    const ambiguous = failure.kind === 'ambiguous';
    this.metrics.messages.inc({ outcome: ambiguous ? 'unknown' : 'failed', reason: failure.kind });
    const level = failure.kind === 'auth' || failure.kind === 'unexpected' ? 'error' : 'warn';
    this.logger[level](
      {
        messageId: id.toHexString(),
        kind: failure.kind,
        httpStatus: failure.httpStatus,
        reason: failure.reason,
      },
      'Plivo send failed',
    );
    try {
      await this.logs.applyStatusChange(
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
}

/** 1 to 10 media across mediaUrl, mediaUrls and mediaIds (a rule across fields, so not in the DTO). */
function assertMediaCount(count: number): void {
  if (count >= 1 && count <= MAX_MEDIA) return;
  const message = `between 1 and ${MAX_MEDIA} media are required in total across mediaUrl, mediaUrls and mediaIds (got ${count})`;
  throw new BadRequestException({
    message,
    code: 'VALIDATION_FAILED',
    errors: [{ field: 'media', messages: [message] }],
  });
}

function unsupportedDestination(id: Types.ObjectId, reason: string): HttpException {
  return new UnprocessableEntityException({
    message: reason,
    code: 'MMS_UNSUPPORTED_DESTINATION',
    messageId: id.toHexString(),
  });
}

function answerCode(answer: HttpException): string | undefined {
  const response = answer.getResponse();
  return typeof response === 'object' && response !== null && 'code' in response
    ? String((response as { code: unknown }).code)
    : undefined;
}

function toFailure(error: unknown): PlivoFailure {
  if (error instanceof ProviderSendError) return error.failure;
  return { kind: 'unexpected', reason: 'The Plivo client failed unexpectedly', retryable: false };
}

export function failureCode(failure: PlivoFailure): string {
  const codes: Record<PlivoFailure['kind'], string> = {
    rejected: 'PLIVO_REJECTED',
    auth: 'PLIVO_AUTH_FAILED',
    throttled: 'PLIVO_THROTTLED',
    unavailable: 'PLIVO_UNAVAILABLE',
    network: 'PLIVO_UNREACHABLE',
    ambiguous: 'PLIVO_OUTCOME_UNKNOWN',
    unexpected: 'PLIVO_CLIENT_ERROR',
  };
  return codes[failure.kind];
}

/** How each failure class is told to our client (the issue's mapping; see README "Errors"). */
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
      return new ServiceUnavailableException({
        ...body,
        message: `${failure.reason}; the message was not sent, retry later`,
        retryAfterSeconds: 5,
      });
    case 'ambiguous':
      return new GatewayTimeoutException({
        ...body,
        message: `${failure.reason}. Plivo may have queued the message: it was not resent, and its status callback will settle it. Poll GET /messages/${messageId} instead of retrying.`,
      });
    default:
      return new InternalServerErrorException({ ...body, message: failure.reason });
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : 'non-Error thrown';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
