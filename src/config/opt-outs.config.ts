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
 * CTIA's standard keywords (and Plivo's own lists). Always recognised: the configured lists only
 * add to them, so no configuration can switch STOP off.
 */
export const DEFAULT_KEYWORDS: Record<KeywordKind, string[]> = {
  'opt-out': ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'OPTOUT', 'REVOKE'],
  'opt-in': ['START', 'UNSTOP', 'YES', 'OPTIN'],
  help: ['HELP', 'INFO'],
};

export function buildOptOutsConfig(env: Environment): OptOutsConfig {
  const valid = validateConfig(env, OptOutsEnv);
  // The standard words first, then the configured ones (deduplicated): extras, not replacements.
  const list = (value: string | undefined, kind: KeywordKind) => [
    ...new Set([...DEFAULT_KEYWORDS[kind], ...splitList(value).map((k) => k.toUpperCase())]),
  ];
  const keywords: Record<KeywordKind, string[]> = {
    'opt-out': list(valid.OPT_OUT_KEYWORDS, 'opt-out'),
    'opt-in': list(valid.OPT_IN_KEYWORDS, 'opt-in'),
    help: list(valid.HELP_KEYWORDS, 'help'),
  };
  const seen = new Map<string, KeywordKind>();
  const problems: string[] = [];
  for (const kind of Object.keys(keywords) as KeywordKind[])
    for (const word of keywords[kind]) {
      const other = seen.get(word);
      if (other && other !== kind) problems.push(`${word}: listed as both ${other} and ${kind}`);
      seen.set(word, kind);
    }
  if (problems.length > 0)
    throw new ConfigurationError(problems.map((p) => `OPT_*_KEYWORDS / HELP_KEYWORDS: ${p}`));
  const replies: Partial<Record<KeywordKind, string>> = {};
  if (valid.OPT_OUT_REPLY?.trim()) replies['opt-out'] = valid.OPT_OUT_REPLY;
  if (valid.OPT_IN_REPLY?.trim()) replies['opt-in'] = valid.OPT_IN_REPLY;
  if (valid.HELP_REPLY?.trim()) replies.help = valid.HELP_REPLY;
  return { keywords, replies };
}
