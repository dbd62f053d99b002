import {
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
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
  return countryIfValid(value) !== false;
}

/** The number's country (undefined: none, e.g. a non-geographic number); false: not valid. */
function countryIfValid(value: unknown): string | undefined | false {
  if (typeof value !== 'string' || !E164_PATTERN.test(value)) return false;
  const parsed = parsePhoneNumberFromString(value);
  return parsed !== undefined && parsed.isValid() && parsed.number === value
    ? parsed.country
    : false;
}

/**
 * The countries found by validating a request's numbers, by the object validated (a DTO):
 * what the send path asks of a number (countryOfNumber) it has parsed once already.
 */
const validatedCountries = new WeakMap<object, Map<string, string | undefined>>();

/**
 * The country of an E.164 number; `validated`: the object a validation found it in (its DTO),
 * whose parse is reused when the number is still the one it validated.
 */
export function countryOfNumber(e164: string, validated?: object): string | undefined {
  const known = validated && validatedCountries.get(validated);
  if (known?.has(e164)) return known.get(e164);
  return parsePhoneNumberFromString(e164)?.country;
}

@ValidatorConstraint({ name: 'isE164PhoneNumber' })
export class IsE164PhoneNumber implements ValidatorConstraintInterface {
  validate(value: unknown, args?: ValidationArguments): boolean {
    const country = countryIfValid(value);
    if (country === false) return false;
    const target = args?.object;
    if (target) {
      const known = validatedCountries.get(target) ?? new Map<string, string | undefined>();
      validatedCountries.set(target, known.set(value as string, country));
    }
    return true;
  }
  defaultMessage(): string {
    return '$property must be a valid phone number in E.164 format, e.g. +14155550100';
  }
}
