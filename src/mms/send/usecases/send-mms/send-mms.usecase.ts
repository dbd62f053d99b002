import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Types } from 'mongoose';
import { Client } from '../../../../auth/client';
import { AllConfig } from '../../../../config/config.type';
import { DispatchConfig } from '../../../../config/dispatch.config';
import { MetricsService } from '../../../../metrics/metrics.service';
import { isDuplicateKeyError } from '../../../../shared/duplicate-key';
import { RetryableHttpException } from '../../../../shared/retryable.exception';
import { CallbackTarget } from '../../../client-callbacks/callback-target';
import { MediaPreflight } from '../../../media/media-preflight';
import { MediaUrlPolicy } from '../../../media/media-url-policy';
import { MessageLogRepository, Schedule } from '../../../message-log/message-log.repository';
import { OptOutsService } from '../../../opt-outs/opt-outs.service';
import { Pacer } from '../../../pacing/pacer';
import { SenderChooser } from '../../../senders/sender-chooser';
import { ChosenSender } from '../../../senders/sender-choice';
import { SendMmsDto } from '../../dto/send-mms.dto';
import { SendMmsResponseDto } from '../../dto/send-mms-response.dto';
import { acceptedResponse, scheduledResponse } from '../../accepted-response';
import { ReservedMessageIdInUseException } from '../../idempotency/reserved-message-id';
import { DeliverMessageUseCase } from '../deliver-message/deliver-message.usecase';
import { canReceiveMms, ChannelPlan, planChannel } from './destination-policy';
import { SendWindow, sendWindowOf } from './send-window';
import { assertMediaCount, mediaUrlsOf } from './media-count';

/** Plivo's shortest message_expiry (5 s), kept free at the end of every validity. */
const MIN_EXPIRY_MS = 5000;

/** Who sends, and the log id an Idempotency-Key reservation chose (else a new one). */
export interface SendContext {
  client: Client;
  messageId?: Types.ObjectId;
}

interface SendRequest {
  dto: SendMmsDto;
  /** The number it goes from (one of the caller's pool: SenderChooser), and how it was chosen. */
  sender: string;
  senderChoice: ChosenSender['choice'];
  statusCallbackUrl?: string;
  mediaUrls: string[];
  mediaIds: string[];
  fallbackAllowed: boolean;
  plan: ChannelPlan;
  window: SendWindow;
}

/**
 * The send path: check → when (now, or held: a sendAt ahead, or no pacing slot soon) → log →
 * send (with retries, then SMS fallback) → record the outcome. A held message is logged
 * `scheduled` and the dispatch queue sends it.
 */
@Injectable()
export class SendMmsUseCase {
  private readonly preflightEnabled: boolean;
  private readonly fallbackToSms: boolean;
  private readonly dispatch: DispatchConfig;

  constructor(
    private readonly logs: MessageLogRepository,
    private readonly deliver: DeliverMessageUseCase,
    private readonly metrics: MetricsService,
    private readonly mediaPolicy: MediaUrlPolicy,
    private readonly preflight: MediaPreflight,
    private readonly optOuts: OptOutsService,
    private readonly callbackTarget: CallbackTarget,
    private readonly pacer: Pacer,
    private readonly senders: SenderChooser,
    config: ConfigService<AllConfig, true>,
  ) {
    const send = config.get('send', { infer: true });
    this.preflightEnabled = send.mediaPreflight;
    this.fallbackToSms = send.fallbackToSms;
    this.dispatch = config.get('dispatch', { infer: true });
  }

  async execute(dto: SendMmsDto, context: SendContext): Promise<SendMmsResponseDto> {
    // The window first: a bad sendAt or validUntil is a 400 like any other field.
    const window = sendWindowOf(dto, this.dispatch.validityDefaultS);
    const { sender, choice } = await this.senders.choose({
      clientId: context.client.id,
      recipient: dto.destinationNumber,
      requested: dto.senderNumber,
      // The channel planChannel will choose: MMS where it can go, else the SMS fallback.
      channel: canReceiveMms(dto.destinationNumber, dto) ? 'mms' : 'sms',
      at: window.sendAt ?? new Date(),
    });
    // A recipient who opted out of this sender: 422 (one indexed read), whatever the other
    // checks say. Not logged (see docs/opt-outs.md), counted as refused. The SMS fallback and
    // the retries go to the same (sender, recipient), so this one check covers them.
    const optOut = this.optOuts.assertNotOptedOut(sender, dto.destinationNumber, context.client.id);
    // Checks that need no log: refused here, nothing is written and nothing is sent. They run
    // while the opt-out read is on the wire (the preflight's fetches too); their answer is only
    // read once it has passed, so the 422 still comes first.
    const checking = this.check(dto, context.client.id, window);
    checking.catch(() => undefined);
    await optOut;
    const request: SendRequest = { ...(await checking), sender, senderChoice: choice };
    const schedule = await this.scheduleOf(request);
    // Logged before Plivo is called: a crash in between leaves a pending record, never an
    // unrecorded message. A database failure here throws before anything is sent.
    const id = await this.createLog(dto, request, context, schedule);
    if (schedule) {
      this.metrics.messages.inc({ outcome: 'scheduled', reason: 'ok', client: context.client.id });
      this.metrics.senderMessages.inc({ sender, outcome: 'scheduled' });
      return scheduledResponse(id.toHexString(), schedule.sendAt, window.validUntil, request.plan);
    }
    const { acceptance, plan } = await this.deliver.execute({
      id,
      clientId: context.client.id,
      sender: request.sender,
      recipient: dto.destinationNumber,
      text: dto.messageText,
      mediaUrls: request.mediaUrls,
      mediaIds: request.mediaIds,
      plan: request.plan,
      fallbackAllowed: request.fallbackAllowed,
      validUntil: window.validUntil,
    });
    return acceptedResponse(
      id.toHexString(),
      acceptance,
      plan.channel,
      plan.channel === 'sms' ? plan.fallbackReason : undefined,
    );
  }

  /**
   * Whether the gateway holds the message, and until when. A sendAt ahead: held until then
   * (refused at once when the pacing backlog already runs past its validUntil). Now: with
   * pacing, a slot is reserved; one within PACING_MAX_WAIT_MS is waited for here and the
   * message sent in this request, a later one holds the message until its slot. A slot must
   * leave Plivo's shortest message_expiry (5 s) of the validity.
   */
  private async scheduleOf(request: SendRequest): Promise<Schedule | undefined> {
    const { window, plan } = request;
    // Handed over with less than Plivo's shortest message_expiry left, Plivo could send late.
    const latest = new Date(window.validUntil.getTime() - MIN_EXPIRY_MS);
    if (window.sendAt) {
      if (this.pacer.paces(plan.channel)) {
        // The held messages due before it, or with it, go first; each takes a slot of its own
        // buckets: the channel's count against the account's cap, this number's against its own.
        const held = await this.logs.countHeld(plan.channel, request.sender, window.sendAt);
        const earliest = await this.pacer.estimate(
          plan.channel,
          request.sender,
          window.sendAt,
          held,
        );
        if (earliest > latest) throw backlogFull(earliest, latest);
      }
      return { sendAt: window.sendAt };
    }
    if (!this.pacer.paces(plan.channel)) return undefined;
    const reservation = await this.pacer.reserve(plan.channel, request.sender, new Date(), latest);
    if ('refusedUntil' in reservation) throw backlogFull(reservation.refusedUntil, latest);
    const wait = reservation.slot.getTime() - Date.now();
    if (wait > this.dispatch.maxWaitMs)
      return { sendAt: reservation.slot, slotAt: reservation.slot };
    // Waited for before the log is written: a crash meanwhile leaves nothing that looks sent.
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    return undefined;
  }

  /**
   * The log (pending, or scheduled), under the id an Idempotency-Key reservation chose when
   * there is one. That id already taken means an earlier request with the key is still
   * running: 409, nothing sent.
   */
  private async createLog(
    dto: SendMmsDto,
    request: SendRequest,
    context: SendContext,
    schedule: Schedule | undefined,
  ): Promise<Types.ObjectId> {
    try {
      return await this.logs.createPending(
        {
          _id: context.messageId,
          clientId: context.client.id,
          channel: request.plan.channel,
          fallbackReason: request.plan.channel === 'sms' ? request.plan.fallbackReason : undefined,
          sender: request.sender,
          senderChoice: request.senderChoice,
          recipient: dto.destinationNumber,
          text: dto.messageText,
          mediaUrls: request.mediaUrls,
          mediaIds: request.mediaIds,
          statusCallbackUrl: request.statusCallbackUrl,
          fallbackToSms: request.fallbackAllowed,
          validUntil: request.window.validUntil,
        },
        schedule,
      );
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      throw new ReservedMessageIdInUseException();
    }
  }

  /** Media count, address policy, optional preflight, then MMS or SMS fallback (or 4xx). */
  private async check(
    dto: SendMmsDto,
    clientId: string,
    window: SendWindow,
  ): Promise<Omit<SendRequest, 'sender' | 'senderChoice'>> {
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
    return { dto, statusCallbackUrl, mediaUrls, mediaIds, fallbackAllowed, plan, window };
  }
}

/**
 * 503 SEND_BACKLOG_FULL: the first slot there is comes after the last one the message could
 * use. Retry-After: how much later a request with the same validity length (relative to its
 * time of sending) would fit, were nothing else to come meanwhile.
 */
function backlogFull(earliest: Date, latest: Date): RetryableHttpException {
  const retryAfter = Math.max(1, Math.ceil((earliest.getTime() - latest.getTime()) / 1000));
  return new RetryableHttpException(
    {
      message: `Plivo's rate (pacing) gives this message no slot within its validUntil (less 5 s for Plivo's shortest message_expiry): the first is at ${earliest.toISOString()}; nothing was logged or sent`,
      code: 'SEND_BACKLOG_FULL',
      details: { earliestSlotAt: earliest.toISOString(), latestSlotAt: latest.toISOString() },
    },
    503,
    retryAfter,
  );
}
