import { normalizeKeyword, type KeywordKind } from '../../config/opt-outs.config';

export type { KeywordKind } from '../../config/opt-outs.config';

const INTENTS: Readonly<Record<string, KeywordKind>> = {
  optout: 'opt-out',
  optin: 'opt-in',
  help: 'help',
};

/**
 * What an inbound message asks for: Plivo's MessageIntent when it names one, else the whole
 * text, normalised like the keyword lists (normalizeKeyword: `Opt-Out`, ` ＳＴＯＰ `, `Stop ❤️`
 * are keywords), as a keyword. "Stop sending me these" is not one: only the word alone counts.
 */
export function classifyInbound(
  text: string | undefined,
  intent: string | undefined,
  keywords: Record<KeywordKind, string[]>,
): KeywordKind | undefined {
  const name = intent?.trim().toLowerCase();
  // An own property only: `constructor` or `toString` from the sender's side names no intent.
  if (name && Object.hasOwn(INTENTS, name)) return INTENTS[name];
  const word = normalizeKeyword(text ?? '');
  if (!word) return undefined;
  return (Object.keys(keywords) as KeywordKind[]).find((kind) => keywords[kind].includes(word));
}
