const PHONE = /\+?\d{7,15}/g;

/** "+14157654321" → "+*******4321": enough to recognise a number, not to call it. */
export function maskPhoneNumbers(text: string): string {
  return text.replace(
    PHONE,
    (n) =>
      n.slice(0, n.startsWith('+') ? 1 : 0) +
      '*'.repeat(Math.max(0, n.length - 4 - (n.startsWith('+') ? 1 : 0))) +
      n.slice(-4),
  );
}

/** Masks phone-number-like runs in every string of a log record (bounded depth, no cycles). */
export function maskPii<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return maskPhoneNumbers(value) as T;
  if (depth > 5 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => maskPii(v, depth + 1)) as T;
  // Only plain objects: class instances (req, res, errors) go to their serializers untouched.
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>))
    out[k] = maskPii(v, depth + 1);
  return out as T;
}
