import { BadRequestException, ForbiddenException, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AllConfig } from '../../../../config/config.type';
import { optOutScopeOf, poolOfClient } from '../../../../config/senders.config';
import { CallbackTarget } from '../../../client-callbacks/callback-target';
import { MediaPreflight } from '../../../media/media-preflight';
import { MediaUrlPolicy } from '../../../media/media-url-policy';
import { OptOutsService } from '../../../opt-outs/opt-outs.service';
import { assertMediaCount } from '../../../send/usecases/send-mms/media-count';
import { canReceiveMms, smsFallback } from '../../../send/usecases/send-mms/destination-policy';
import { SendWindow, sendWindowOf } from '../../../send/usecases/send-mms/send-window';
import { CampaignCounts } from '../../campaign.schema';
import { assignSenders } from '../../campaign-senders';
import { CreateCampaignDto } from '../../dto/create-campaign.dto';
import { FieldError, normaliseRecipients } from '../../recipients';

/** Recipients per opt-out query ($in lists of this size on the {sender, recipient} index). */
const OPT_OUT_BATCH = 1000;

/** One recipient the campaign sends to, with its number and channel decided. */
export interface PlannedMessage {
  recipient: string;
  sender: string;
  channel: 'mms' | 'sms';
}

/** Everything creation decided before writing anything (also a dry run's whole answer). */
export interface CampaignPlan {
  window: SendWindow;
  statusCallbackUrl?: string;
  mediaUrls: string[];
  mediaIds: string[];
  fallbackAllowed: boolean;
  /** The text of an SMS fallback (the text, then the media links). */
  smsText?: string;
  messages: PlannedMessage[];
  counts: CampaignCounts;
  errors: FieldError[];
}

/**
 * The checks of POST /campaigns, which write nothing: the request's window, sender, callback
 * URL and media as on POST /send-mms; each recipient normalised (duplicates dropped, invalid
 * ones reported by position, or the request refused with strict); its sender chosen from the
 * pool; opted-out recipients (over each sender's opt-out scope) suppressed, a batch per query.
 */
@Injectable()
export class CampaignPlanner {
  constructor(
    private readonly mediaPolicy: MediaUrlPolicy,
    private readonly preflight: MediaPreflight,
    private readonly optOuts: OptOutsService,
    private readonly callbackTarget: CallbackTarget,
    private readonly config: ConfigService<AllConfig, true>,
  ) {}

  async plan(dto: CreateCampaignDto, clientId: string): Promise<CampaignPlan> {
    const dispatch = this.config.get('dispatch', { infer: true });
    const send = this.config.get('send', { infer: true });
    const senders = this.config.get('senders', { infer: true });
    const window = sendWindowOf(dto, dispatch.validityDefaultS);
    const pool = poolOfClient(senders, clientId);
    if (dto.senderNumber !== undefined && !pool.includes(dto.senderNumber))
      throw new ForbiddenException({
        message: `senderNumber ${dto.senderNumber} is not one of this client's sender numbers (SENDER_NUMBERS); nothing was created`,
        code: 'SENDER_NOT_ALLOWED',
        errors: [{ field: 'senderNumber', messages: ['not one of your sender numbers'] }],
      });
    const statusCallbackUrl = this.callbackTarget.resolve(dto.statusCallbackUrl, clientId);
    const media = [
      ...(dto.mediaUrl ? [{ url: dto.mediaUrl, field: 'mediaUrl' }] : []),
      ...(dto.mediaUrls ?? []).map((url, i) => ({ url, field: `mediaUrls[${i}]` })),
    ];
    const mediaUrls = media.map((m) => m.url);
    const mediaIds = dto.mediaIds ?? [];
    assertMediaCount(mediaUrls.length + mediaIds.length);
    this.mediaPolicy.assertAllowed(media);
    if (send.mediaPreflight)
      await this.preflight.assertDeliverable(mediaUrls, Buffer.byteLength(dto.messageText));
    const fallbackAllowed = dto.fallbackToSms ?? send.fallbackToSms;
    const fallback = smsFallback(dto.messageText, mediaUrls, mediaIds, SMS_REASON);
    const smsText = fallbackAllowed && !('refused' in fallback) ? fallback.text : undefined;

    const list = normaliseRecipients(dto.recipients, (e164) =>
      canReceiveMms(e164) || smsText !== undefined
        ? undefined
        : `Plivo delivers MMS only to US and Canadian numbers${'refused' in fallback ? ` (no SMS fallback: ${fallback.refused})` : ' (see fallbackToSms)'}`,
    );
    if (dto.strict && list.errors.length > 0)
      throw new BadRequestException({
        message: `${list.errors.length} recipient(s) invalid (strict): ${list.errors[0].messages[0]}…`,
        code: 'VALIDATION_FAILED',
        errors: list.errors,
      });
    const chosen = dto.senderNumber
      ? list.numbers.map(() => dto.senderNumber!)
      : assignSenders(pool, list.numbers);
    const suppressed = await this.optedOut(list.numbers, chosen, (n) => optOutScopeOf(senders, n));
    const messages: PlannedMessage[] = [];
    list.numbers.forEach((recipient, i) => {
      if (suppressed.has(recipient)) return;
      const channel = canReceiveMms(recipient) ? 'mms' : 'sms';
      messages.push({ recipient, sender: chosen[i], channel });
    });
    const counts: CampaignCounts = {
      total: dto.recipients.length,
      duplicates: list.duplicates,
      optedOut: suppressed.size,
      invalid: list.errors.length,
      scheduled: messages.length,
    };
    return {
      window,
      statusCallbackUrl,
      mediaUrls,
      mediaIds,
      fallbackAllowed,
      smsText,
      messages,
      counts,
      errors: list.errors,
    };
  }

  /** The recipients opted out of their sender's scope: one query per batch, not per recipient. */
  private async optedOut(
    recipients: string[],
    senders: string[],
    scopeOf: (sender: string) => string[],
  ): Promise<Set<string>> {
    const scopes = new Map<string, Set<string>>();
    for (const sender of new Set(senders)) scopes.set(sender, new Set(scopeOf(sender)));
    const allSenders = [...new Set([...scopes.values()].flatMap((s) => [...s]))];
    const senderOf = new Map(recipients.map((r, i) => [r, senders[i]]));
    const out = new Set<string>();
    for (let i = 0; i < recipients.length; i += OPT_OUT_BATCH) {
      const pairs = await this.optOuts.optedOutPairs(
        allSenders,
        recipients.slice(i, i + OPT_OUT_BATCH),
      );
      for (const pair of pairs)
        if (scopes.get(senderOf.get(pair.recipient)!)?.has(pair.sender)) out.add(pair.recipient);
    }
    return out;
  }
}

const SMS_REASON = 'Plivo delivers MMS only to US and Canadian numbers';
