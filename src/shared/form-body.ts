/**
 * A form body (application/x-www-form-urlencoded) has no types: every field is text, and a list
 * is its key repeated (OpenAPI's style form, explode true), so a list of one arrives as a lone
 * string and `true` as the text "true". JSON has arrays and booleans: there, a string where a
 * list or a boolean is declared is a client's mistake and is refused.
 *
 * The form parser's bodies are marked (src/http's markFormBody middleware, right after the
 * parser) with a symbol no request can carry: non-enumerable, so nothing that lists or copies
 * the body's fields (validation whitelist, shape guard, idempotency hash) sees it. DTO
 * transforms read it on class-transformer's `obj`, the body being transformed.
 */
export const FORM_BODY: unique symbol = Symbol('form body');

/** Marks a body the form parser made; anything but an object is left alone. */
export function markFormBody(body: unknown): void {
  if (body !== null && typeof body === 'object' && !isFormBody(body))
    Object.defineProperty(body, FORM_BODY, { value: true, enumerable: false });
}

/** Whether `obj` is a body parsed from application/x-www-form-urlencoded. */
export function isFormBody(obj: unknown): boolean {
  return (
    obj !== null &&
    typeof obj === 'object' &&
    Object.prototype.hasOwnProperty.call(obj, FORM_BODY) &&
    (obj as { [FORM_BODY]?: unknown })[FORM_BODY] === true
  );
}

interface TransformParams {
  value: unknown;
  obj: unknown;
}

/**
 * `@Transform` for a list field: in a form body a lone value is the one-element list; in JSON
 * the value stays as sent (so a string is refused by @IsArray).
 */
export const formList = ({ value, obj }: TransformParams): unknown =>
  typeof value === 'string' && isFormBody(obj) ? [value] : value;

/**
 * `@Transform` for a boolean field: in a form body "true" and "false" are the booleans; in JSON
 * the value stays as sent (so a string is refused by @IsBoolean).
 */
export const formBoolean = ({ value, obj }: TransformParams): unknown =>
  isFormBody(obj) && (value === 'true' || value === 'false') ? value === 'true' : value;
