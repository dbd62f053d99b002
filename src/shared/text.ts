import { buildMessage, ValidateBy, ValidationOptions } from 'class-validator';

/**
 * Some character that is not whitespace: JavaScript's `\s` spelled out, so that the same
 * pattern means the same in the OpenAPI document (where other regex dialects read it).
 */
export const NOT_BLANK =
  /[^\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/;

/** Length in Unicode code points, as JSON Schema's maxLength counts it (an emoji is one). */
export const codePoints = (value: string) => [...value].length;

export function MaxCodePoints(max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'maxCodePoints',
      constraints: [max],
      validator: {
        validate: (value: unknown) => typeof value === 'string' && codePoints(value) <= max,
        defaultMessage: buildMessage(
          (each) => `${each}$property must be shorter than or equal to ${max} characters`,
          options,
        ),
      },
    },
    options,
  );
}
