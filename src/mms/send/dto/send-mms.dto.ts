import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsString, Matches, Validate } from 'class-validator';
import { FieldHints } from '../../../shared/field-hints';
import { formBoolean } from '../../../shared/form-body';
import { exampleDateTime } from '../../../shared/example-dates';
import { E164_FORMAT, E164_PATTERN, IsE164PhoneNumber } from '../../../shared/is-e164-phone-number';
import { IsOptionalNotNull } from '../../../shared/optional';
import { MAX_MEDIA } from '../../plivo/plivo-limits';
import { MAX_SCHEDULE_DAYS, RFC3339_DATE_TIME } from '../usecases/send-mms/send-window';
import {
  MediaIdsField,
  MediaUrlField,
  MediaUrlsField,
  MessageTextField,
  UrlField,
} from './body-fields';

/**
 * 1 to MAX_MEDIA media across mediaUrl, mediaUrls and mediaIds, in JSON Schema: some media
 * field present and non-empty, and for every split of the total between the two lists, one
 * branch bounding both (one fewer when mediaUrl takes a place). The validator checks the same
 * total in the send use case.
 *
 * The same schema bounds the form content (src/http/openapi-form-bodies.ts), where a list sent
 * once is a lone string: minItems and maxItems do not apply to a string, which is one medium
 * and so fits any bound but 0; a bound of 0 therefore also says `type: array`.
 */
const atMost = (n: number) => (n === 0 ? { type: 'array', maxItems: 0 } : { maxItems: n });
const splits = (total: number) =>
  Array.from({ length: total + 1 }, (_, urls) => ({
    properties: { mediaUrls: atMost(urls), mediaIds: atMost(total - urls) },
  }));
export const MEDIA_COUNT_SCHEMA = {
  allOf: [
    {
      anyOf: [
        { required: ['mediaUrl'] },
        { required: ['mediaUrls'], properties: { mediaUrls: { minItems: 1 } } },
        { required: ['mediaIds'], properties: { mediaIds: { minItems: 1 } } },
      ],
    },
    {
      anyOf: [
        ...splits(MAX_MEDIA).map((split) => ({ not: { required: ['mediaUrl'] }, ...split })),
        ...splits(MAX_MEDIA - 1).map((split) => ({ required: ['mediaUrl'], ...split })),
      ],
    },
  ],
};

@ApiSchema({
  description: `1 to ${MAX_MEDIA} media in total across mediaUrl, mediaUrls and mediaIds; unknown fields are refused.`,
  // @nestjs/swagger copies these into the schema (its option type only names name and description).
  ...{ additionalProperties: false, ...MEDIA_COUNT_SCHEMA },
})
@FieldHints({
  to: 'destinationNumber',
  dst: 'destinationNumber',
  recipient: 'destinationNumber',
  text: 'messageText',
  body: 'messageText',
  message: 'messageText',
  media: 'mediaUrls',
})
export class SendMmsDto {
  @ApiProperty({
    example: '+14157654321',
    pattern: E164_PATTERN.source,
    format: E164_FORMAT,
    description:
      'Recipient in E.164 format that libphonenumber considers a valid number (Plivo sends MMS to US and Canadian numbers; others: see fallbackToSms).',
  })
  @Validate(IsE164PhoneNumber)
  destinationNumber: string;

  @MessageTextField('Hello from Plivo MMS!')
  messageText: string;

  @MediaUrlField(
    'https://media.giphy.com/media/26gscSULUcfKU7dHq/source.gif',
    'One media URL (the original contract): https (http too while MEDIA_ALLOW_HTTP), no credentials, a public host (else 400 MEDIA_URL_BLOCKED).',
  )
  mediaUrl?: string;

  @MediaUrlsField(['https://example.com/a.png', 'https://example.com/b.jpg'])
  mediaUrls?: string[];

  @MediaIdsField()
  mediaIds?: string[];

  @ApiPropertyOptional({
    example: '+14155550100',
    pattern: E164_PATTERN.source,
    format: E164_FORMAT,
    description:
      "The number to send from: one of the caller's pool (SENDER_NUMBERS; else PLIVO_SENDER_NUMBER), else 403 SENDER_NOT_ALLOWED. Default: the gateway chooses (the number this recipient last exchanged messages with, else one with the recipient's area code, else the soonest free under pacing); GET /messages/:id shows it.",
  })
  @IsOptionalNotNull()
  @Validate(IsE164PhoneNumber)
  senderNumber?: string;

  @UrlField(
    'https://example.com/hooks/mms-status',
    "Where to POST this message's status changes (queued, sent, delivered…), signed with X-Mms-Signature (docs/status-callbacks.md). Checked as mediaUrl is (else 400 CALLBACK_URL_BLOCKED; 400 STATUS_CALLBACKS_DISABLED when the gateway has no STATUS_CALLBACK_SECRET). Default: the client's STATUS_CALLBACK_URLS entry.",
  )
  statusCallbackUrl?: string;

  @ApiPropertyOptional({
    default: false,
    description:
      'When the destination cannot receive MMS (outside the US and Canada, or refused by Plivo), send an SMS whose text carries the media links instead of failing with 422.',
  })
  @IsOptionalNotNull()
  @Transform(formBoolean)
  @IsBoolean()
  fallbackToSms?: boolean;

  @ApiPropertyOptional({
    type: 'string',
    format: 'date-time',
    pattern: RFC3339_DATE_TIME.source,
    example: exampleDateTime(14),
    description: `When to send: an RFC 3339 date-time with Z or an offset, at most ${MAX_SCHEDULE_DAYS} days ahead. In the past or now: at once. A later one is answered 202 status "scheduled" and sent at that time (POST /messages/{id}/cancel takes it back until then).`,
  })
  @IsOptionalNotNull()
  @IsString()
  @Matches(RFC3339_DATE_TIME, {
    message: 'sendAt must be an RFC 3339 date-time with a time zone (Z or ±hh:mm)',
  })
  sendAt?: string;

  @ApiPropertyOptional({
    type: 'string',
    format: 'date-time',
    pattern: RFC3339_DATE_TIME.source,
    example: exampleDateTime(17),
    description:
      'Not handed to Plivo by then: `expired`, never sent (Plivo gets what is left as message_expiry). After sendAt, at most 72 h after it; default sendAt + SEND_VALIDITY_DEFAULT_S (3 h).',
  })
  @IsOptionalNotNull()
  @IsString()
  @Matches(RFC3339_DATE_TIME, {
    message: 'validUntil must be an RFC 3339 date-time with a time zone (Z or ±hh:mm)',
  })
  validUntil?: string;
}
