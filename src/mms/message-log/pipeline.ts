/**
 * Helpers of the update pipelines that write the message log (status changes, the callback
 * outbox): in a pipeline a string starting with `$` is a field path, and an undefined value is
 * stored as null, so data goes in through these.
 */

/** A value the pipeline must take as data, never as a field path or an expression. */
export const literal = (value: unknown) => ({ $literal: value });

/** The entries whose value is defined (a $literal of undefined would store null). */
export const definedEntries = (fields: Record<string, unknown> | undefined) =>
  Object.entries(fields ?? {}).filter(([, value]) => value !== undefined);
