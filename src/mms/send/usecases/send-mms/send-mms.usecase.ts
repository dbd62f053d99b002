import { BadRequestException, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Types } from 'mongoose';
import { Client } from '../../../../auth/client';
import { AllConfig } from '../../../../config/config.type';
import { MetricsService } from '../../../../metrics/metrics.service';
import { describeError } from '../../../../shared/describe-error';
import { isDuplicateKeyError } from '../../../../shared/duplicate-key';
import { CallbackTarget } from '../../../client-callbacks/callback-target';
import { MediaPreflight } from '../../../media/media-preflight';
import { MediaUrlPolicy, MediaUrlRef } from '../../../media/media-url-policy';
import { MessageLogRepository } from '../../../message-log/message-log.repository';
import { OptOutsService } from '../../../opt-outs/opt-outs.service';
import { OutboundMessage, ProviderAcceptance } from '../../../plivo/messaging-provider';
import { MAX_MEDIA } from '../../../plivo/plivo-limits';
import { PLIVO_WEBHOOK_ROUTES } from '../../../plivo/webhook-routes';
import { SendMmsDto } from '../../dto/send-mms.dto';
import { SendMmsResponseDto } from '../../dto/send-mms-response.dto';
import { acceptedChange, acceptedResponse } from '../../accepted-response';
import { ReservedMessageIdInUseException } from '../../idempotency/reserved-message-id';
import { RecordSendFailureUseCase } from '../record-send-failure/record-send-failure.usecase';
import { SendAttemptsUseCase } from '../send-attempts/send-attempts.usecase';
import {
  ChannelPlan,
  isMmsRefusal,
  planChannel,
  smsFallback,
  unsupportedDestination,
} from './destination-policy';

/** Who sends, and the log id an Idempotency-Key reservation chose (else a new one). */
export interface SendContext {
  client: Client;
  messageId?: Types.ObjectId;
}

interface SendRequest {
  dto: SendMmsDto;
  statusCallbackUrl?: string;
  mediaUrls: string[];
  mediaIds: string[];
  fallbackAllowed: boolean;
  plan: ChannelPlan;
}

/** The send path: check → log → send (with retries, then SMS fallback) → record the outcome. */
@Injectable()
export class SendMmsUseCase {
  private readonly logger = new Logger(SendMmsUseCase.name);
  private readonly senderNumber: string;
  private readonly publicBaseUrl: string;
  private readonly preflightEnabled: boolean;
  private readonly fallbackToSms: boolean;

  constructor(
    private readonly logs: MessageLogRepository,
    private readonly attempts: SendAttemptsUseCase,
    private readonly recordFailure: RecordSendFailureUseCase,
    private readonly metrics: MetricsService,
    private readonly mediaPolicy: MediaUrlPolicy,
    private readonly preflight: MediaPreflight,
    private readonly optOuts: OptOutsService,
    private readonly callbackTarget: CallbackTarget,
    config: ConfigService<AllConfig, true>,
  ) {
    const send = config.get('send', { infer: true });
    this.preflightEnabled = send.mediaPreflight;
    this.fallbackToSms = send.fallbackToSms;
    this.senderNumber = config.get('plivo.senderNumber', { infer: true });
    this.publicBaseUrl = config.get('app.publicBaseUrl', { infer: true });
  }

  async execute(dto: SendMmsDto, context: SendContext): Promise<SendMmsResponseDto> {
    // A recipient who opted out of this sender: 422 first (one indexed read), before media is
    // even fetched. Not logged (see README "Opt-outs"), counted as refused. The SMS fallback and
    // the retries go to the same (sender, recipient), so this one check covers them.
    await this.optOuts.assertNotOptedOut(
      this.senderNumber,
      dto.destinationNumber,
      context.client.id,
    );
    // Checks that need no log: refused here, nothing is written and nothing is sent.
    const request = await this.check(dto, context.client.id);
    // Logged before Plivo is called: a crash in between leaves a pending record, never an
    // unrecorded message. A database failure here throws before anything is sent.
    const id = await this.createLog(dto, request, context);
    const clientId = context.client.id;
    const { acceptance, durationMs, plan } = await this.sendWithFallback(id, request, clientId);
    await this.recordAccepted(id, acceptance, durationMs);
    this.metrics.messages.inc({
      outcome: 'queued',
      reason: plan.channel === 'sms' ? 'sms-fallback' : 'ok',
      client: clientId,
    });
    return acceptedResponse(
      id.toHexString(),
      acceptance,
      plan.channel,
      plan.channel === 'sms' ? plan.fallbackReason : undefined,
    );
  }

  /**
   * The pending log, under the id an Idempotency-Key reservation chose when there is one. That
   * id already taken means an earlier request with the key is still running: 409, nothing sent.
   */
  private async createLog(
    dto: SendMmsDto,
    request: SendRequest,
    context: SendContext,
  ): Promise<Types.ObjectId> {
    try {
      return await this.logs.createPending({
        _id: context.messageId,
        clientId: context.client.id,
        channel: request.plan.channel,
        fallbackReason: request.plan.channel === 'sms' ? request.plan.fallbackReason : undefined,
        sender: this.senderNumber,
        recipient: dto.destinationNumber,
        text: dto.messageText,
        mediaUrls: request.mediaUrls,
        mediaIds: request.mediaIds,
        statusCallbackUrl: request.statusCallbackUrl,
      });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      throw new ReservedMessageIdInUseException();
    }
  }

  /** Media count, address policy, optional preflight, then MMS or SMS fallback (or 4xx). */
  private async check(dto: SendMmsDto, clientId: string): Promise<SendRequest> {
    const statusCallbackUrl = this.callbackTarget.resolve(dto.statusCallbackUrl, clientId);
    const media = mediaUrlsOf(dto);
    const mediaUrls = media.map((m) => m.url);
    const mediaIds = dto.mediaIds ?? [];
    assertMediaCount(mediaUrls.length + mediaIds.length);
    this.mediaPolicy.assertAllowed(media);
    if (this.preflightEnabled)
      await this.preflight.assertDeliverable(mediaUrls, Buffer.byteLength(dto.messageText));
    const fallbackAllowed = dto.fallbackToSms ?? this.fallbackToSms;
    const plan = planChannel(dto, mediaUrls, mediaIds, fallbackAllowed);
    return { dto, statusCallbackUrl, mediaUrls, mediaIds, fallbackAllowed, plan };
  }

  /**
   * Sends the planned message; when Plivo refuses the destination for MMS, switches the log to
   * SMS and sends the fallback inside the same deadline. Throws the client's answer on failure.
   */
  private async sendWithFallback(
    id: Types.ObjectId,
    request: SendRequest,
    clientId: string,
  ): Promise<{ acceptance: ProviderAcceptance; durationMs: number; plan: ChannelPlan }> {
    const { dto, mediaUrls, mediaIds, fallbackAllowed } = request;
    // `ref` lets a callback find its log even before Plivo's UUID is stored; V3 signs it.
    const callbackUrl = `${this.publicBaseUrl}${PLIVO_WEBHOOK_ROUTES.status}?ref=${id.toHexString()}`;
    const deadline = this.attempts.startDeadline();
    const send = (p: ChannelPlan, checkFirst = false) =>
      this.attempts.execute(id, this.outbound(p, dto.destinationNumber, callbackUrl), deadline, {
        checkFirst,
      });

    let plan = request.plan;
    let outcome = await send(plan);
    if ('failure' in outcome && plan.channel === 'mms' && isMmsRefusal(outcome.failure)) {
      const refusal = outcome.failure;
      const fallback = fallbackAllowed
        ? smsFallback(dto.messageText, mediaUrls, mediaIds, refusal.reason)
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
      // A new attempt after a refusal: the recipient may have opted out meanwhile.
      outcome = await send(plan, true);
    }
    if ('optedOut' in outcome) throw await this.recordFailure.optedOut(id, clientId);
    if ('failure' in outcome)
      throw await this.recordFailure.execute(id, clientId, outcome.failure, outcome.durationMs);
    return { ...outcome, plan };
  }

  /** `queued` with Plivo's ids; a failed write is logged, never turned into an error. */
  private async recordAccepted(
    id: Types.ObjectId,
    acceptance: ProviderAcceptance,
    durationMs: number,
  ): Promise<void> {
    try {
      await this.logs.applyStatusChange({ _id: id }, acceptedChange(acceptance, durationMs));
    } catch (error) {
      // Plivo has the message: answering an error would invite a duplicate send. The log stays
      // pending until the status callback (which carries ref) brings it up to date.
      this.logger.error(
        { messageId: id.toHexString(), err: describeError(error) },
        'Sent, but the log update failed',
      );
    }
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
}

/** mediaUrl then mediaUrls, in order, each with the field it came in, for the errors. */
function mediaUrlsOf(dto: SendMmsDto): MediaUrlRef[] {
  return [
    ...(dto.mediaUrl ? [{ url: dto.mediaUrl, field: 'mediaUrl' }] : []),
    ...(dto.mediaUrls ?? []).map((url, i) => ({ url, field: `mediaUrls[${i}]` })),
  ];
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
