import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, Matches, MinLength, Validate } from 'class-validator';
import { FieldHints } from '../../../shared/field-hints';
import { PageLimit } from '../../../shared/page-limit';
import { MaxCodePoints, NOT_BLANK } from '../../../shared/text';
import { E164_FORMAT, E164_PATTERN, IsE164PhoneNumber } from '../../../shared/is-e164-phone-number';
import { OPT_OUT_SOURCES } from '../opt-out.schema';

/** A cursor is the id of the last record of the previous page. */
export const OPT_OUT_CURSOR_PATTERN = /^[0-9a-f]{24}$/;

const E164_DOC = {
  // Not the send examples' recipient: an API tester replaying the examples would otherwise opt
  // out the number its next send example goes to (a correct 422 that reads as a rejection).
  example: '+14155550123',
  pattern: E164_PATTERN.source,
  format: E164_FORMAT,
  description: 'A valid phone number in E.164 format.',
};

export class OptOutChangeDto {
  @ApiProperty({ enum: ['opt-out', 'opt-in'] })
  action: string;
  @ApiProperty({ enum: OPT_OUT_SOURCES })
  source: string;
  @ApiPropertyOptional({ description: 'keyword: the MessageUUID of the inbound STOP/START.' })
  inboundMessageId?: string;
  @ApiPropertyOptional({ description: 'callback-error-200: our id of the refused message.' })
  messageId?: string;
  @ApiPropertyOptional({ description: 'api: the client whose admin key made the change.' })
  clientId?: string;
  @ApiPropertyOptional({
    description:
      'false: a keyword that changed nothing (already in that state), kept so that its MessageUUID acts once. Absent: the change applied.',
  })
  applied?: boolean;
  @ApiPropertyOptional({ description: 'The keyword, the error, or the reason given.' })
  reason?: string;
  @ApiProperty()
  at: Date;
}

export class OptOutDto {
  @ApiProperty({ example: '+14155550100', description: 'Our number.' })
  sender: string;
  @ApiProperty({ example: '+14157654321', description: 'The person who opted out (or in).' })
  recipient: string;
  @ApiProperty({
    description:
      'True: the recipient opted out of this sender, so nothing is sent to them from any number of `appliesTo`.',
  })
  optedOut: boolean;
  @ApiProperty({
    enum: ['pool', 'number'],
    description:
      "OPT_OUT_SCOPE: `pool`, an opt-out of one number of a client's pool stops the whole pool; `number`, that number only.",
  })
  scope: 'pool' | 'number';
  @ApiProperty({
    type: [String],
    example: ['+14155550100', '+14155550101'],
    description:
      "The numbers this record's opt-out stops (sender first): its pool in pool scope, else the sender alone.",
  })
  appliesTo: string[];
  @ApiProperty({ type: [OptOutChangeDto], description: 'Every change, oldest first.' })
  history: OptOutChangeDto[];
  @ApiProperty()
  updatedAt: Date;
}

export class OptOutListDto {
  @ApiProperty({ type: [OptOutDto] })
  items: OptOutDto[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last page.',
  })
  nextCursor: string | null;
}

@FieldHints({ recipient: 'number', to: 'number', from: 'sender', nextCursor: 'cursor' })
export class ListOptOutsQueryDto {
  @ApiPropertyOptional({ ...E164_DOC, description: 'Only this person’s records.' })
  @IsOptional()
  @Validate(IsE164PhoneNumber)
  number?: string;

  @ApiPropertyOptional({
    ...E164_DOC,
    example: '+14155550100',
    description:
      'Only the records that apply to this sender: in pool scope those of every number of its pool.',
  })
  @IsOptional()
  @Validate(IsE164PhoneNumber)
  sender?: string;

  @PageLimit()
  limit?: number;

  @ApiPropertyOptional({
    description: 'The nextCursor of the previous page.',
    pattern: OPT_OUT_CURSOR_PATTERN.source,
  })
  @IsOptional()
  @IsString()
  cursor?: string;
}

export class OptOutPairParams {
  @ApiProperty({ ...E164_DOC, example: '+14155550100', description: 'Our number.' })
  @Validate(IsE164PhoneNumber)
  sender: string;

  @ApiProperty(E164_DOC)
  @Validate(IsE164PhoneNumber)
  recipient: string;
}

/** Surrounding whitespace is dropped, so a blank reason is an empty one (and refused). */
const trimmed = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.trim() : value;

const MAX_REASON = 500;

@ApiSchema({
  description: 'A manual opt-out; unknown fields are refused.',
  // @nestjs/swagger copies this into the schema (its option type only names name and description).
  ...{ additionalProperties: false },
})
export class ManualOptOutDto {
  @ApiProperty({
    example: 'asked by e-mail on 2025-01-02',
    minLength: 1,
    maxLength: MAX_REASON,
    pattern: NOT_BLANK.source,
    description: 'Why (kept in the history); trimmed, and must not be blank.',
  })
  @Transform(trimmed)
  @IsString()
  @MinLength(1)
  @Matches(NOT_BLANK, { message: 'reason must contain a character other than whitespace' })
  @MaxCodePoints(MAX_REASON)
  reason: string;
}

export class ManualOptInDto {
  @ApiPropertyOptional({
    minLength: 1,
    maxLength: MAX_REASON,
    pattern: NOT_BLANK.source,
    description: 'Why (kept in the history); trimmed, and when given must not be blank.',
  })
  @IsOptional()
  @Transform(trimmed)
  @IsString()
  @MinLength(1)
  @Matches(NOT_BLANK, { message: 'reason must contain a character other than whitespace' })
  @MaxCodePoints(MAX_REASON)
  reason?: string;
}
