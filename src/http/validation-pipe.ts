import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { IS_NOT_NULL } from '../shared/optional';
import { suggestField } from './unknown-field-hint';

export interface FieldError {
  field: string;
  messages: string[];
}

/** class-validator's type checks: when one fails, the field's other constraints say nothing new. */
const TYPE_CONSTRAINTS = new Set([
  'isString',
  'isArray',
  'isBoolean',
  'isInt',
  'isNumber',
  'isObject',
  'isDate',
]);

/**
 * The messages of one field: one for a missing field ("is required", not every constraint the
 * absent value fails) or an optional one sent as null, only the type error for a value of the
 * wrong type, and a hint for an unknown field that looks like a known one.
 */
function messagesOf(error: ValidationError, field: string): string[] {
  const constraints = error.constraints ?? {};
  if (constraints.whitelistValidation) {
    const suggestion = suggestField(error.target?.constructor, error.property);
    return [
      suggestion
        ? `${constraints.whitelistValidation} (did you mean ${suggestion}?)`
        : constraints.whitelistValidation,
    ];
  }
  // A null where a field may only be left out: that, not its type.
  if (constraints[IS_NOT_NULL]) return [constraints[IS_NOT_NULL]];
  if (error.value === undefined || error.value === null) return [`${field} is required`];
  const typeErrors = Object.entries(constraints).filter(([name]) => TYPE_CONSTRAINTS.has(name));
  return (typeErrors.length > 0 ? typeErrors : Object.entries(constraints)).map(([, m]) => m);
}

function flatten(errors: ValidationError[], prefix = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, messages: messagesOf(error, field) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** Unknown fields are refused (never forwarded to Plivo); every bad field is named once. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    // Target and value stay inside the pipe (the DTO class for hints, the value to tell a
    // missing field); the answer is built below from the field names and messages only.
    validationError: { target: true, value: true },
    exceptionFactory: (errors) => {
      const fieldErrors = flatten(errors);
      return new BadRequestException({
        message: fieldErrors.flatMap((e) => e.messages).join('; ') || 'Invalid request body',
        errors: fieldErrors,
        code: 'VALIDATION_FAILED',
      });
    },
  });
}
