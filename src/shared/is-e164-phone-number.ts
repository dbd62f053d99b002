import { ValidatorConstraint, ValidatorConstraintInterface } from 'class-validator';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/** E.164's shape: `+`, a non-zero digit, 6 to 14 more ASCII digits (also the OpenAPI pattern). */
export const E164_PATTERN = /^\+[1-9][0-9]{6,14}$/;

/**
 * The OpenAPI format of such a number: a valid number (libphonenumber's metadata), which no
 * pattern can state; test/support/schemathesis-hooks.py tells Schemathesis how to make one.
 */
export const E164_FORMAT = 'e164';

/** A strict E.164 number (`+` and digits) that libphonenumber considers a valid number. */
export function isE164PhoneNumber(value: unknown): value is string {
  if (typeof value !== 'string' || !E164_PATTERN.test(value)) return false;
  const parsed = parsePhoneNumberFromString(value);
  return parsed !== undefined && parsed.isValid() && parsed.number === value;
}

@ValidatorConstraint({ name: 'isE164PhoneNumber' })
export class IsE164PhoneNumber implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return isE164PhoneNumber(value);
  }
  defaultMessage(): string {
    return '$property must be a valid phone number in E.164 format, e.g. +14155550100';
  }
}
