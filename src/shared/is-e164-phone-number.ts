import { ValidatorConstraint, ValidatorConstraintInterface } from 'class-validator';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/** A strict E.164 number (`+` and digits) that libphonenumber considers a valid number. */
export function isE164PhoneNumber(value: unknown): value is string {
  if (typeof value !== 'string' || !/^\+[1-9]\d{6,14}$/.test(value)) return false;
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
