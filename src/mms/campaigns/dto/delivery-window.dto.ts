import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import {
  IsString,
  Matches,
  Validate,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';

const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;

/** The canonical zones, for the OpenAPI document (so a schema-valid zone is a valid one). */
const TIME_ZONES = ['UTC', ...Intl.supportedValuesOf('timeZone')];

/** A zone `Intl.DateTimeFormat` knows (IANA names such as America/New_York, or UTC). */
export function isTimeZone(value: unknown): boolean {
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

@ValidatorConstraint({ name: 'isTimeZone' })
class IsTimeZone implements ValidatorConstraintInterface {
  validate = isTimeZone;
  defaultMessage() {
    return '$property must be an IANA time zone, e.g. America/New_York';
  }
}

/** end == start would be an empty (or a whole-day) window: refused, either way ambiguous. */
@ValidatorConstraint({ name: 'differsFromStart' })
class DiffersFromStart implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments) {
    return value !== (args.object as { start?: unknown }).start;
  }
  defaultMessage() {
    return '$property must differ from start (end before start is a window across midnight)';
  }
}

@ApiSchema({
  description: 'Quiet hours: messages go out only between start and end in timeZone.',
  // Unknown fields are refused here as at the top level (@nestjs/swagger copies the key).
  ...{ additionalProperties: false },
})
export class DeliveryWindowDto {
  @ApiProperty({ example: '09:00', pattern: HH_MM.source, description: 'HH:MM, 24 h.' })
  @IsString()
  @Matches(HH_MM, { message: 'start must be HH:MM (24 h)' })
  start: string;

  @ApiProperty({
    example: '20:00',
    pattern: HH_MM.source,
    description: 'HH:MM, 24 h, not equal to start; before start: a window across midnight.',
  })
  @IsString()
  @Matches(HH_MM, { message: 'end must be HH:MM (24 h)' })
  @Validate(DiffersFromStart)
  end: string;

  @ApiProperty({
    example: 'America/New_York',
    enum: TIME_ZONES,
    description:
      "An IANA time zone (the list is this Node's Intl.supportedValuesOf('timeZone'), and UTC; an alias Intl knows, such as US/Eastern, is accepted too).",
  })
  @Validate(IsTimeZone)
  timeZone: string;
}
