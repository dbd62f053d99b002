import { getMetadataStorage } from 'class-validator';
import { fieldHintsOf } from '../shared/field-hints';

/** Case, separators and a trailing `[]`/`[0]` do not count: `media_URL[]` reads as `mediaurl`. */
const normalize = (name: string) =>
  name
    .replace(/\[\d*\]$/, '')
    .toLowerCase()
    .replace(/[\W_]/g, '');

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    previous = current;
  }
  return previous[b.length];
}

/** The properties a class declares validators for, in declaration order. */
function declaredProperties(dtoClass: object): string[] {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(
    dtoClass as new () => unknown,
    '',
    true,
    false,
  );
  return [...new Set(metadata.map((m) => m.propertyName))];
}

/**
 * The DTO property a client probably meant by an unknown field, or undefined: a hint declared
 * on the DTO (@FieldHints), else the same name up to case and separators (a list notation such
 * as `mediaUrl[]` prefers the plural property), else one typo away (two for long names).
 */
export function suggestField(dtoClass: object | undefined, field: string): string | undefined {
  if (!dtoClass || !field) return undefined;
  const properties = declaredProperties(dtoClass);
  if (properties.length === 0) return undefined;
  const hints = fieldHintsOf(dtoClass);
  const wanted = normalize(field);
  const declared = Object.hasOwn(hints, field)
    ? hints[field]
    : Object.entries(hints).find(([name]) => normalize(name) === wanted)?.[1];
  if (declared && properties.includes(declared)) return declared;

  const byName = new Map(properties.map((p) => [normalize(p), p]));
  if (/\[\d*\]$/.test(field) && byName.has(`${wanted}s`)) return byName.get(`${wanted}s`);
  if (byName.has(wanted)) return byName.get(wanted);

  const allowed = wanted.length >= 10 ? 2 : wanted.length >= 4 ? 1 : 0;
  const close = [...byName]
    .map(([name, property]) => ({ property, distance: editDistance(wanted, name) }))
    .filter((c) => c.distance <= allowed)
    .sort((a, b) => a.distance - b.distance);
  // Two candidates equally close: no guess.
  if (close.length === 0 || close[1]?.distance === close[0].distance) return undefined;
  return close[0].property;
}
