import 'reflect-metadata';

const FIELD_HINTS = Symbol('fieldHints');

/**
 * Names clients commonly send instead of a DTO's own (`to` for `destinationNumber`): the
 * validation pipe suggests the right name when it refuses such an unknown field. Names close
 * to a declared property (case, `_`, `[]`, a typo) need no entry: the pipe finds those itself.
 */
export function FieldHints(hints: Record<string, string>): ClassDecorator {
  return (target) => Reflect.defineMetadata(FIELD_HINTS, hints, target);
}

export function fieldHintsOf(target: object): Record<string, string> {
  return (Reflect.getMetadata(FIELD_HINTS, target) as Record<string, string> | undefined) ?? {};
}
