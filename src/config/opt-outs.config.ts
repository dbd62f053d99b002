import { IsOptional, IsString, MaxLength } from 'class-validator';
import { ConfigurationError, Environment, splitList, validateConfig } from './validate-config';

class OptOutsEnv {
  @IsOptional()
  @IsString()
  OPT_OUT_KEYWORDS?: string;

  @IsOptional()
  @IsString()
  OPT_IN_KEYWORDS?: string;

  @IsOptional()
  @IsString()
  HELP_KEYWORDS?: string;

  @IsOptional()
  @IsString()
  @MaxLength(1600)
  OPT_OUT_REPLY?: string;

  @IsOptional()
  @IsString()
  @MaxLength(1600)
  OPT_IN_REPLY?: string;

  @IsOptional()
  @IsString()
  @MaxLength(1600)
  HELP_REPLY?: string;
}

export type KeywordKind = 'opt-out' | 'opt-in' | 'help';

/** Inbound keywords (STOP, START, HELP…) and the replies they get (none when empty). */
export interface OptOutsConfig {
  keywords: Record<KeywordKind, string[]>;
  replies: Partial<Record<KeywordKind, string>>;
}

/**
 * CTIA's standard keywords (and Plivo's own lists), as normalizeKeyword writes them. Always
 * recognised: the configured lists only add to them, so no configuration can switch STOP off.
 */
export const DEFAULT_KEYWORDS: Record<KeywordKind, string[]> = {
  'opt-out': [
    'STOP',
    'STOPALL',
    'UNSUBSCRIBE',
    'CANCEL',
    'END',
    'QUIT',
    'OPT OUT',
    'OPTOUT',
    'REVOKE',
  ],
  'opt-in': ['START', 'UNSTOP', 'YES', 'OPT IN', 'OPTIN'],
  help: ['HELP', 'INFO'],
};

/**
 * Invisible decorations, removed: format characters (zero-width spaces and joiners, the soft
 * hyphen, BOM, emoji tags), variation selectors (U+FE0F of `❤️`, and the supplement), emoji skin
 * tones and the combining keycap. Not the other marks: in Thai or Devanagari a vowel sign makes
 * another word (`หยุด` stop, `หยด` drop).
 */
const INVISIBLE = /[\p{Cf}\p{Variation_Selector}\p{Emoji_Modifier}]|\u20E3/gu;

/**
 * An inbound text, or a configured keyword, as it is compared: NFKC (full-width `ＳＴＯＰ` is
 * STOP), control characters read as whitespace, without the INVISIBLE decorations, without the
 * whitespace, punctuation and symbols (emoji included) around it, each run of whitespace,
 * hyphens and underscores inside as one space (`opt-out`, `OPT_OUT`, `opt  out` are `OPT OUT`),
 * upper case. Combining marks stay, but those still on a basic Latin letter after NFKC (which
 * composes every accented letter of a Latin alphabet that has one): strike-through or underline
 * decorations (`S̶T̶O̶P̶`), read as the letter, since a STOP missed is worse than one too many.
 * Anything else inside stays, so `stop by later` or `don't stop` never equals a keyword.
 */
export function normalizeKeyword(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/\p{Cc}/gu, ' ')
    .replace(INVISIBLE, '')
    .replace(/(?<=[A-Za-z])[\p{Mn}\p{Me}]+/gu, '')
    .replace(/^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$/gu, '')
    .replace(/[\s\p{Pd}\p{Pc}]+/gu, ' ')
    .toUpperCase();
}

const VARIABLES: Record<KeywordKind, keyof OptOutsEnv> = {
  'opt-out': 'OPT_OUT_KEYWORDS',
  'opt-in': 'OPT_IN_KEYWORDS',
  help: 'HELP_KEYWORDS',
};

export function buildOptOutsConfig(env: Environment): OptOutsConfig {
  const valid = validateConfig(env, OptOutsEnv);
  const problems: string[] = [];
  // The standard words first, then the configured ones, normalised as inbound texts are
  // (deduplicated): extras, not replacements.
  const list = (kind: KeywordKind) => {
    const configured = splitList(valid[VARIABLES[kind]]).map(normalizeKeyword);
    configured.forEach((word, index) => {
      if (!word)
        problems.push(
          `${VARIABLES[kind]}: entry ${index + 1} is only punctuation, symbols or spaces, which a keyword ignores`,
        );
    });
    return [...new Set([...DEFAULT_KEYWORDS[kind], ...configured.filter(Boolean)])];
  };
  const keywords: Record<KeywordKind, string[]> = {
    'opt-out': list('opt-out'),
    'opt-in': list('opt-in'),
    help: list('help'),
  };
  const seen = new Map<string, KeywordKind>();
  for (const kind of Object.keys(keywords) as KeywordKind[])
    for (const word of keywords[kind]) {
      const other = seen.get(word);
      if (other && other !== kind)
        problems.push(
          `OPT_*_KEYWORDS / HELP_KEYWORDS: ${word}: listed as both ${other} and ${kind}`,
        );
      seen.set(word, kind);
    }
  if (problems.length > 0) throw new ConfigurationError(problems);
  const replies: Partial<Record<KeywordKind, string>> = {};
  if (valid.OPT_OUT_REPLY?.trim()) replies['opt-out'] = valid.OPT_OUT_REPLY;
  if (valid.OPT_IN_REPLY?.trim()) replies['opt-in'] = valid.OPT_IN_REPLY;
  if (valid.HELP_REPLY?.trim()) replies.help = valid.HELP_REPLY;
  return { keywords, replies };
}
