import { IsOptional, IsString } from 'class-validator';
import { sha256 } from '../shared/crypto';
import {
  ConfigurationError,
  Environment,
  isProduction,
  splitList,
  validateConfig,
} from './validate-config';

class ClientsEnv {
  /** Comma-separated `name:key` (or bare `key`) entries; required in production. */
  @IsOptional()
  @IsString()
  API_KEYS?: string;

  /** Same format: keys that may read every client's messages. */
  @IsOptional()
  @IsString()
  ADMIN_API_KEYS?: string;

  /** Comma-separated `+E164:name`: which client reads the inbound messages of a number. */
  @IsOptional()
  @IsString()
  INBOUND_CLIENTS?: string;
}

/** One API key, kept as its SHA-256 digest only. */
export interface ClientKey {
  /** The client's name from `name:key`; undefined for a bare key (auth derives an id). */
  name?: string;
  digest: Buffer;
  admin: boolean;
}

export interface ClientsConfig {
  /** Every accepted key; empty = auth off (outside production only). */
  keys: ClientKey[];
  /** Receiving number (E.164) → the client name that may read its inbound messages. */
  inboundClients: Record<string, string>;
}

/** A client name: what logs, metrics and the message log show for a `name:key` entry. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const MIN_KEY_LENGTH = 16;

export function buildClientsConfig(env: Environment): ClientsConfig {
  const valid = validateConfig(env, ClientsEnv);
  const problems: string[] = [];
  const keys = [
    ...parseKeys('API_KEYS', valid.API_KEYS, false, problems),
    ...parseKeys('ADMIN_API_KEYS', valid.ADMIN_API_KEYS, true, problems),
  ];
  if (isProduction(env) && keys.length === 0)
    problems.push('API_KEYS: required in production (comma-separated name:key entries)');
  if (isProduction(env) && keys.some((k) => k.tooShort))
    problems.push(`API_KEYS: each key must be at least ${MIN_KEY_LENGTH} characters in production`);
  const names = new Set(keys.map((k) => k.name).filter(Boolean));
  const inboundClients: Record<string, string> = {};
  for (const entry of splitList(valid.INBOUND_CLIENTS)) {
    const [number, name] = entry.split(':');
    if (!/^\+[1-9]\d{6,14}$/.test(number ?? '') || !name || !NAME.test(name))
      problems.push(`INBOUND_CLIENTS: "${entry}" is not +E164:name`);
    else if (!names.has(name))
      problems.push(`INBOUND_CLIENTS: "${name}" is not a client named in API_KEYS`);
    else inboundClients[number] = name;
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
  return { keys: keys.map(({ name, digest, admin }) => ({ name, digest, admin })), inboundClients };
}

/**
 * `name:key` when the part before the first ':' is a valid name and a key follows; otherwise
 * the whole entry is a bare key (keys are opaque, so a key may itself contain ':').
 */
function parseKeys(
  variable: string,
  value: string | undefined,
  admin: boolean,
  problems: string[],
): (ClientKey & { tooShort: boolean })[] {
  return splitList(value).map((entry) => {
    const colon = entry.indexOf(':');
    const named = colon > 0 && NAME.test(entry.slice(0, colon)) && colon < entry.length - 1;
    const key = named ? entry.slice(colon + 1) : entry;
    if (named && key.trim() !== key) problems.push(`${variable}: a key has surrounding spaces`);
    return {
      name: named ? entry.slice(0, colon) : undefined,
      digest: sha256(key),
      admin,
      tooShort: key.length < MIN_KEY_LENGTH,
    };
  });
}
