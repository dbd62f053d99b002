import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsString, Matches, MaxLength, Validate } from 'class-validator';
import { formList } from '../../../shared/form-body';
import { IsHttpUrl } from '../../../shared/is-http-url';
import { IsOptionalNotNull } from '../../../shared/optional';
import { MaxCodePoints, NOT_BLANK } from '../../../shared/text';
import { MAX_MEDIA, MAX_TEXT_LENGTH } from '../../plivo/plivo-limits';

const MAX_URL_LENGTH = 2048;
const MEDIA_ID_PATTERN = /^[A-Za-z0-9-]{1,64}$/;

/** What the OpenAPI document says of a media URL; the policy then judges its address. */
export const URL_SCHEMA = {
  type: 'string',
  format: 'uri',
  pattern: '^[Hh][Tt][Tt][Pp][Ss]?://',
  maxLength: MAX_URL_LENGTH,
} as const;

/** The message's text (POST /send-mms, POST /campaigns): 1 to 1,600 code points, not blank. */
export function MessageTextField(example: string): PropertyDecorator {
  return applyDecorators(
    ApiProperty({
      example,
      minLength: 1,
      maxLength: MAX_TEXT_LENGTH,
      pattern: NOT_BLANK.source,
      description: `1 to ${MAX_TEXT_LENGTH} characters (Unicode code points), not only whitespace.`,
    }),
    IsString(),
    Matches(NOT_BLANK, { message: 'messageText must contain a character other than whitespace' }),
    MaxCodePoints(MAX_TEXT_LENGTH),
  );
}

/**
 * The media fields of a body (POST /send-mms, POST /campaigns), one rule each wherever they
 * appear: `mediaUrl` (one URL), `mediaUrls` (URLs), `mediaIds` (Plivo media ids). Each list is
 * read from a form as a repeated key (formList). The count across the three is the body's own
 * rule (MEDIA_COUNT_SCHEMA).
 */
export function MediaUrlField(example: string, description?: string): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ ...URL_SCHEMA, example, ...(description ? { description } : {}) }),
    IsOptionalNotNull(),
    IsString(),
    Validate(IsHttpUrl),
    MaxLength(MAX_URL_LENGTH),
  );
}

/** An absolute http(s) URL: statusCallbackUrl's shape (its address policy is checked later). */
export const UrlField = MediaUrlField;

export function MediaUrlsField(example: string[]): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      type: 'array',
      items: URL_SCHEMA,
      example,
      maxItems: MAX_MEDIA,
      description: 'Media URLs, each checked as mediaUrl is.',
    }),
    IsOptionalNotNull(),
    Transform(formList),
    IsArray(),
    ArrayMaxSize(MAX_MEDIA),
    IsString({ each: true }),
    Validate(IsHttpUrl, {
      each: true,
      message: 'each of mediaUrls must be an absolute http(s) URL',
    }),
    MaxLength(MAX_URL_LENGTH, { each: true }),
  );
}

export function MediaIdsField(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      type: 'array',
      items: { type: 'string', pattern: MEDIA_ID_PATTERN.source },
      example: ['801c2056-33ab-499c-80ef-58b574a462a2'],
      description: 'Plivo media ids from the Media upload API.',
      maxItems: MAX_MEDIA,
    }),
    IsOptionalNotNull(),
    Transform(formList),
    IsArray(),
    ArrayMaxSize(MAX_MEDIA),
    IsString({ each: true }),
    Matches(MEDIA_ID_PATTERN, {
      each: true,
      message: 'each of mediaIds must be a Plivo media id (letters, digits, dashes)',
    }),
  );
}
