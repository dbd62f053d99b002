import { buildMessage, ValidateBy, ValidateIf } from 'class-validator';

/** The constraint IsOptionalNotNull adds, for the validation pipe's messages. */
export const IS_NOT_NULL = 'isNotNull';

/**
 * An optional body field: it may be left out, but not sent as null. class-validator's
 * IsOptional takes null for absent; the OpenAPI document declares no field nullable, so a null
 * would be accepted against the schema (and `"mediaUrl": null` would count as a medium there).
 */
export function IsOptionalNotNull(): PropertyDecorator {
  return (target, key) => {
    ValidateIf((_object, value) => value !== undefined)(target, key);
    ValidateBy({
      name: IS_NOT_NULL,
      validator: {
        validate: (value: unknown) => value !== null,
        defaultMessage: buildMessage(() => '$property may be left out, but not null'),
      },
    })(target, key);
  };
}
