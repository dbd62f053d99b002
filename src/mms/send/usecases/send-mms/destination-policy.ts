import { HttpException, UnprocessableEntityException } from '@nestjs/common';
import { Types } from 'mongoose';
import { PlivoFailure } from '../../../plivo/plivo-failure';
import { MAX_TEXT_LENGTH } from '../../../plivo/plivo-limits';
import { countryOfNumber } from '../../../../shared/is-e164-phone-number';

/** Plivo sends MMS to US and Canadian numbers only (plivo.com/docs/faq/messaging/mms). */
const MMS_COUNTRIES = new Set(['US', 'CA']);

/** `validated`: the DTO that held the number, whose validation parsed it already. */
export function canReceiveMms(e164: string, validated?: object): boolean {
  const country = countryOfNumber(e164, validated);
  return country !== undefined && MMS_COUNTRIES.has(country);
}

/** Plivo's 400 for a destination that cannot take MMS (landline, unsupported carrier…). */
export function isMmsRefusal(failure: PlivoFailure): boolean {
  return (
    failure.kind === 'rejected' &&
    /mms/i.test(failure.reason) &&
    /(not|cannot|can't|unable|unsupported|incapable)/i.test(failure.reason)
  );
}

export type ChannelPlan =
  | { channel: 'mms'; text: string; mediaUrls: string[]; mediaIds: string[] }
  | { channel: 'sms'; text: string; mediaUrls: []; mediaIds: []; fallbackReason: string };

/** The SMS that stands in for an MMS: the text, then one media link per line. */
export function smsFallback(
  text: string,
  mediaUrls: string[],
  mediaIds: string[],
  reason: string,
): ChannelPlan | { refused: string } {
  if (mediaIds.length > 0)
    return { refused: 'media given as Plivo media ids cannot be sent as links in an SMS' };
  const body = [text, ...mediaUrls].join('\n');
  if (body.length > MAX_TEXT_LENGTH)
    return {
      refused: `the SMS with media links would be ${body.length} characters (limit ${MAX_TEXT_LENGTH})`,
    };
  return { channel: 'sms', text: body, mediaUrls: [], mediaIds: [], fallbackReason: reason };
}

/** MMS where Plivo can deliver it; otherwise an SMS with links when allowed, else 422. */
export function planChannel(
  dto: { destinationNumber: string; messageText: string },
  mediaUrls: string[],
  mediaIds: string[],
  fallbackAllowed: boolean,
): ChannelPlan {
  if (canReceiveMms(dto.destinationNumber, dto))
    return { channel: 'mms', text: dto.messageText, mediaUrls, mediaIds };
  const reason = 'Plivo delivers MMS only to US and Canadian numbers';
  const fallback = fallbackAllowed
    ? smsFallback(dto.messageText, mediaUrls, mediaIds, reason)
    : undefined;
  if (fallback && !('refused' in fallback)) return fallback;
  throw unsupportedDestination(reason, fallback);
}

/** 422 for a destination that cannot take this MMS, saying why no SMS fallback was sent. */
export function unsupportedDestination(
  reason: string,
  fallback: { refused: string } | undefined,
  id?: Types.ObjectId,
): HttpException {
  const detail = fallback
    ? `; no SMS fallback: ${fallback.refused}`
    : '; send fallbackToSms: true to get an SMS with the media links';
  return new UnprocessableEntityException({
    message: reason + detail,
    code: 'MMS_UNSUPPORTED_DESTINATION',
    ...(id ? { messageId: id.toHexString() } : {}),
  });
}
