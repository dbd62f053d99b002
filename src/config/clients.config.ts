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

/** A bare key's client id is this prefix + 12 hex of the key's SHA-256 (clientOf, src/auth). */
export const BARE_KEY_ID_PREFIX = 'key-';
/** The client id of every caller while API_KEYS is empty (OPEN_ACCESS_CLIENT, src/auth). */
export const OPEN_ACCESS_ID = 'anonymous';
/**
 * The client id the gateway's own messages (the STOP/START/HELP replies to a number no
 * INBOUND_CLIENTS entry names) are logged and counted under.
 */
export const GATEWAY_CLIENT_ID = 'gateway';

/** Client ids the gateway uses for itself: no key, and no INBOUND_CLIENTS entry, may take one. */
const RESERVED_NAMES: Readonly<Record<string, string>> = {
  [OPEN_ACCESS_ID]: 'every caller while API_KEYS is empty',
  [GATEWAY_CLIENT_ID]: "the gateway's own replies to STOP, START and HELP",
};

/** Why `name` (in any case) is reserved, or undefined. */
function reservedName(name: string): string | undefined {
  const lower = name.toLowerCase();
  return Object.hasOwn(RESERVED_NAMES, lower)
    ? `the client name "${lower}" is reserved (${RESERVED_NAMES[lower]})`
    : undefined;
}

/** A client name: what logs, metrics and the message log show for a `name:key` entry. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const E164 = /^\+[1-9]\d{6,14}$/;
const MIN_KEY_LENGTH = 16;

/** A parsed API_KEYS / ADMIN_API_KEYS entry, and where it was (for problems: never its text). */
interface KeyEntry extends ClientKey {
  variable: string;
  /** 1-based, among the variable's non-blank entries. */
  position: number;
  length: number;
}

export function buildClientsConfig(env: Environment): ClientsConfig {
  const valid = validateConfig(env, ClientsEnv);
  const problems: string[] = [];
  const keys = [
    ...parseKeys('API_KEYS', valid.API_KEYS, false, problems),
    ...parseKeys('ADMIN_API_KEYS', valid.ADMIN_API_KEYS, true, problems),
  ];
  if (isProduction(env) && keys.length === 0 && problems.length === 0)
    problems.push('API_KEYS: required in production (comma-separated name:key entries)');
  if (isProduction(env))
    for (const key of keys.filter((k) => k.length < MIN_KEY_LENGTH))
      problems.push(
        `${key.variable}: entry ${key.position}: the key is shorter than ${MIN_KEY_LENGTH} characters`,
      );
  problems.push(...ambiguousKeys(keys));
  const names = new Set(keys.map((k) => k.name).filter(Boolean));
  const inboundClients: Record<string, string> = {};
  splitList(valid.INBOUND_CLIENTS).forEach((entry, index) => {
    const colon = entry.indexOf(':');
    const [number, name] = [entry.slice(0, colon), entry.slice(colon + 1)];
    const reserved = reservedName(name);
    if (colon < 0 || !E164.test(number) || !NAME.test(name))
      problems.push(`INBOUND_CLIENTS: "${entry}" is not +E164:name`);
    else if (reserved) problems.push(`INBOUND_CLIENTS: entry ${index + 1}: ${reserved}`);
    else if (!names.has(name))
      problems.push(
        `INBOUND_CLIENTS: "${name}" is not a client named in API_KEYS or ADMIN_API_KEYS`,
      );
    else if (Object.hasOwn(inboundClients, number) && inboundClients[number] !== name)
      problems.push(`INBOUND_CLIENTS: ${number} is listed for two clients`);
    else inboundClients[number] = name;
  });
  if (problems.length > 0) throw new ConfigurationError(problems);
  return { keys: keys.map(({ name, digest, admin }) => ({ name, digest, admin })), inboundClients };
}

/**
 * API_KEYS and ADMIN_API_KEYS: comma-separated entries, each `name:key` or a bare `key`.
 *
 * - An entry containing ':' is `name:key`: the name is everything before the FIRST ':' and
 *   must match NAME; the key is everything after it (so a named key may contain ':').
 * - A bare key contains no ':' at all; its client id is `key-` + 12 hex of its SHA-256. An
 *   entry whose part before ':' is not a valid name is refused, not read as a bare key: else a
 *   key generator's output would be split or not depending on its characters. A bare key whose
 *   text before a ':' happens to be a valid name cannot be told from `name:key` and IS read as
 *   one (a part of the key would become the client id, shown in logs and metrics, and the
 *   whole key would be refused with a 401): bare keys must not contain ':' — generate keys in
 *   hex or base64url, or give them a name.
 * - Names starting with `key-` (bare keys' ids) and the names the gateway uses for itself,
 *   `anonymous` (everyone, while auth is off) and `gateway` (its own replies), are refused, in
 *   any case: a name must never be another client's id, nor read what the gateway sends.
 * - Several keys may share a name: they are one client (rotation: add the new key, move the
 *   callers to it, remove the old one); its messages, idempotency keys and rate limit are shared.
 * - A key belongs to one client: the same key under two names, or named and bare, in either
 *   variable, is refused. The same key and name in both variables is allowed: the admin entry
 *   wins (ApiKeyVerifier.identify).
 * - Problems name an entry by its position, never by its text (which may hold a key).
 */
function parseKeys(
  variable: string,
  value: string | undefined,
  admin: boolean,
  problems: string[],
): KeyEntry[] {
  const keys: KeyEntry[] = [];
  splitList(value).forEach((entry, index) => {
    const position = index + 1;
    const where = `${variable}: entry ${position}`;
    const colon = entry.indexOf(':');
    const name = colon < 0 ? undefined : entry.slice(0, colon);
    const key = colon < 0 ? entry : entry.slice(colon + 1);
    if (name !== undefined && !NAME.test(name))
      problems.push(
        `${where}: the part before ':' is not a client name (1-64 letters, digits, '_', '.', '-'); a bare key must not contain ':'`,
      );
    else if (name !== undefined && name.toLowerCase().startsWith(BARE_KEY_ID_PREFIX))
      problems.push(
        `${where}: client names must not start with "${BARE_KEY_ID_PREFIX}" (the ids of bare keys)`,
      );
    else if (name !== undefined && reservedName(name))
      problems.push(`${where}: ${reservedName(name)}`);
    else if (!key) problems.push(`${where}: no key after the name`);
    else if (key.trim() !== key) problems.push(`${where}: the key has surrounding spaces`);
    else keys.push({ name, digest: sha256(key), admin, variable, position, length: key.length });
  });
  return keys;
}

/** The same key for two clients (two names, or a name and none): who would it be? */
function ambiguousKeys(keys: KeyEntry[]): string[] {
  const byDigest = new Map<string, KeyEntry[]>();
  for (const key of keys) {
    const hex = key.digest.toString('hex');
    byDigest.set(hex, [...(byDigest.get(hex) ?? []), key]);
  }
  return [...byDigest.values()]
    .filter((same) => new Set(same.map((k) => k.name ?? '')).size > 1)
    .map(([first, ...others]) => {
      const also = others.map((k) =>
        k.variable === first.variable ? `entry ${k.position}` : `${k.variable} entry ${k.position}`,
      );
      return `${first.variable}: entry ${first.position} is the same key as ${also.join(' and ')} for a different client (another name, or a name and none): a key belongs to one client (several keys may share a name)`;
    });
}
