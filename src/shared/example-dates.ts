/**
 * sendAt and validUntil examples for the OpenAPI document: tomorrow 14:00 and 17:00 UTC, taken
 * when the document is built, so an example never lies in the past (a fixed date would, one
 * day, and a client or a schema checker trying the examples would get a 400).
 */
export function exampleDateTime(hourUtc: number): string {
  const at = new Date();
  at.setUTCDate(at.getUTCDate() + 1);
  at.setUTCHours(hourUtc, 0, 0, 0);
  return at.toISOString().replace('.000Z', 'Z');
}
