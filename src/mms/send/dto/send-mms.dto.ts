import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  MaxLength,
  Validate,
} from 'class-validator';
import { IsE164PhoneNumber } from '../../../shared/is-e164-phone-number';
import { MAX_MEDIA, MAX_TEXT_LENGTH } from '../../plivo/plivo-limits';

const URL_OPTIONS = {
  protocols: ['http', 'https'],
  require_protocol: true,
  require_tld: false,
  allow_underscores: true,
};

/** Form bodies send a lone value as a string and repeated keys as an array. */
const asArray = ({ value }: { value: unknown }) => (typeof value === 'string' ? [value] : value);

export class SendMmsDto {
  @ApiProperty({
    example: '+14157654321',
    description: 'Recipient in E.164 format (Plivo sends MMS to US and Canadian numbers).',
  })
  @Validate(IsE164PhoneNumber)
  destinationNumber: string;

  @ApiProperty({ example: 'Hello from Plivo MMS!', maxLength: MAX_TEXT_LENGTH })
  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_TEXT_LENGTH)
  messageText: string;

  @ApiPropertyOptional({
    example: 'https://media.giphy.com/media/26gscSULUcfKU7dHq/source.gif',
    description: 'One media URL (the original contract).',
  })
  @IsOptional()
  @IsString()
  @IsUrl(URL_OPTIONS, { message: 'mediaUrl must be an absolute http(s) URL' })
  @MaxLength(2048)
  mediaUrl?: string;

  @ApiPropertyOptional({
    type: [String],
    example: ['https://example.com/a.png', 'https://example.com/b.jpg'],
    maxItems: MAX_MEDIA,
  })
  @IsOptional()
  @Transform(asArray)
  @IsArray()
  @ArrayMaxSize(MAX_MEDIA)
  @IsString({ each: true })
  @IsUrl(URL_OPTIONS, { each: true, message: 'each of mediaUrls must be an absolute http(s) URL' })
  @MaxLength(2048, { each: true })
  mediaUrls?: string[];

  @ApiPropertyOptional({
    type: [String],
    example: ['801c2056-33ab-499c-80ef-58b574a462a2'],
    description: 'Plivo media ids from the Media upload API.',
    maxItems: MAX_MEDIA,
  })
  @IsOptional()
  @Transform(asArray)
  @IsArray()
  @ArrayMaxSize(MAX_MEDIA)
  @IsString({ each: true })
  @Matches(/^[A-Za-z0-9-]{1,64}$/, {
    each: true,
    message: 'each of mediaIds must be a Plivo media id (letters, digits, dashes)',
  })
  mediaIds?: string[];

  @ApiPropertyOptional({
    default: false,
    description:
      'When the destination cannot receive MMS (outside the US and Canada, or refused by Plivo), send an SMS whose text carries the media links instead of failing with 422.',
  })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  fallbackToSms?: boolean;
}
