import {
  MediaIdsField,
  MediaUrlField,
  MediaUrlsField,
  MessageTextField,
  UrlField,
} from '../../send/dto/body-fields';
import { MEDIA_COUNT_SCHEMA } from '../../send/dto/send-mms.dto';
import { exampleDateTime } from '../../../shared/example-dates';
import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsNumber,
  IsPositive,
  IsString,
  Max,
  Min,
  MaxLength,
  MinLength,
  Validate,
  ValidateNested,
} from 'class-validator';
import { E164_FORMAT, E164_PATTERN, IsE164PhoneNumber } from '../../../shared/is-e164-phone-number';
import { formBoolean, formList, isFormBody } from '../../../shared/form-body';
import { IsOptionalNotNull } from '../../../shared/optional';
import { MAX_MEDIA } from '../../plivo/plivo-limits';
import { RFC3339_DATE_TIME } from '../../send/usecases/send-mms/send-window';
import { DeliveryWindowDto } from './delivery-window.dto';

export const MAX_RECIPIENTS = 10_000;
/** A recipient as written by the caller (spaces, dashes, brackets) before E.164 normalisation. */
const MAX_RECIPIENT_LENGTH = 32;
export const MAX_PER_SECOND = 1000;
/** One every 100 s: a slower cap would hold the campaign's pacing bucket for hours per message. */
export const MIN_PER_SECOND = 0.01;
/** A number as a form carries it (JSON's number grammar, exponent included). */
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

@ApiSchema({
  description: `1 to ${MAX_MEDIA} media in total across mediaUrl, mediaUrls and mediaIds; unknown fields are refused.`,
  // The send's own rule, in JSON Schema (@nestjs/swagger copies these keys into the schema).
  ...{ additionalProperties: false, ...MEDIA_COUNT_SCHEMA },
})
export class CreateCampaignDto {
  @ApiProperty({ example: 'Spring sale', minLength: 1, maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name: string;

  @MessageTextField('Spring sale: 20% off today!')
  messageText: string;

  @MediaUrlField('https://media.example.com/sale.png')
  mediaUrl?: string;

  @MediaUrlsField(['https://media.example.com/sale-2.png'])
  mediaUrls?: string[];

  @MediaIdsField()
  mediaIds?: string[];

  @ApiProperty({
    type: 'array',
    // format phone: a number the campaign can send to (test/support/schemathesis-hooks.py).
    items: { type: 'string', format: 'phone', maxLength: MAX_RECIPIENT_LENGTH },
    minItems: 1,
    maxItems: MAX_RECIPIENTS,
    example: ['+14157654321', '(415) 765-4322'],
    description: `Phone numbers (E.164, or a national US/Canadian spelling), each at most ${MAX_RECIPIENT_LENGTH} characters (a longer one refuses the request). Each is normalised to E.164: repeats are dropped and counted, invalid ones reported by position in \`errors\` (or the whole request refused with strict: true).`,
  })
  @Transform(formList)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_RECIPIENTS)
  @IsString({ each: true })
  @MaxLength(MAX_RECIPIENT_LENGTH, { each: true })
  recipients: string[];

  @ApiPropertyOptional({
    example: '+14155550100',
    pattern: E164_PATTERN.source,
    format: E164_FORMAT,
  })
  @IsOptionalNotNull()
  @Validate(IsE164PhoneNumber)
  senderNumber?: string;

  @ApiPropertyOptional({
    type: 'string',
    format: 'date-time',
    pattern: RFC3339_DATE_TIME.source,
    example: exampleDateTime(14),
    description: 'When the campaign starts (as on POST /send-mms); default now.',
  })
  @IsOptionalNotNull()
  @IsString()
  sendAt?: string;

  @ApiPropertyOptional({
    type: 'string',
    format: 'date-time',
    pattern: RFC3339_DATE_TIME.source,
    example: exampleDateTime(17),
    description: 'No message of the campaign is handed to Plivo after this (as on POST /send-mms).',
  })
  @IsOptionalNotNull()
  @IsString()
  validUntil?: string;

  @ApiPropertyOptional({
    type: DeliveryWindowDto,
    description:
      'Quiet hours: messages go out only between start and end in timeZone (a JSON body only: a form has no nested fields).',
  })
  @IsOptionalNotNull()
  @ValidateNested()
  @Type(() => DeliveryWindowDto)
  deliveryWindow?: DeliveryWindowDto;

  @ApiPropertyOptional({
    type: 'number',
    minimum: MIN_PER_SECOND,
    maximum: MAX_PER_SECOND,
    example: 5,
    description: `The campaign's own cap (messages per second), below the configured rates: ${MIN_PER_SECOND} (one every 100 s) to ${MAX_PER_SECOND}; 0 or less is refused.`,
  })
  @IsOptionalNotNull()
  @Transform(({ value, obj }: { value: unknown; obj: object }) =>
    isFormBody(obj) && typeof value === 'string' && NUMBER.test(value) ? Number(value) : value,
  )
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @IsPositive()
  @Min(MIN_PER_SECOND, {
    message: `maxPerSecond must be at least ${MIN_PER_SECOND} (one message every 100 s)`,
  })
  @Max(MAX_PER_SECOND)
  maxPerSecond?: number;

  @UrlField(
    'https://example.com/hooks/mms-status',
    "Where the campaign's messages' status changes go (as on POST /send-mms), and its campaign.completed event.",
  )
  statusCallbackUrl?: string;

  @ApiPropertyOptional({ default: false })
  @IsOptionalNotNull()
  @Transform(formBoolean)
  @IsBoolean()
  fallbackToSms?: boolean;

  @ApiPropertyOptional({ default: false, description: 'Answer the counts; write nothing.' })
  @IsOptionalNotNull()
  @Transform(formBoolean)
  @IsBoolean()
  dryRun?: boolean;

  @ApiPropertyOptional({
    default: false,
    description: 'Refuse the whole request (400) when any recipient is invalid.',
  })
  @IsOptionalNotNull()
  @Transform(formBoolean)
  @IsBoolean()
  strict?: boolean;
}
