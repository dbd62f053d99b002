import type { KeywordKind } from '../../config/opt-outs.config';

export type { KeywordKind } from '../../config/opt-outs.config';

const INTENTS: Record<string, KeywordKind> = { optout: 'opt-out', optin: 'opt-in', help: 'help' };

/**
 * What an inbound message asks for: Plivo's MessageIntent when it names one, else the whole
 * text (trimmed, case-insensitive, punctuation and symbols around it ignored) as a keyword.
 * "Stop sending me these" is not a keyword: only the word alone counts.
 */
export function classifyInbound(
  text: string | undefined,
  intent: string | undefined,
  keywords: Record<KeywordKind, string[]>,
): KeywordKind | undefined {
  const byIntent = intent ? INTENTS[intent.trim().toLowerCase()] : undefined;
  if (byIntent) return byIntent;
  const word = (text ?? '').replace(/^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$/gu, '').toUpperCase();
  if (!word) return undefined;
  return (Object.keys(keywords) as KeywordKind[]).find((kind) => keywords[kind].includes(word));
}
