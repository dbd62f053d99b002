import { IsIn, IsOptional, IsString } from 'class-validator';
import { isE164PhoneNumber } from '../shared/is-e164-phone-number';
import { isHttpUrl } from '../shared/is-http-url';
import type { ClientsConfig } from './clients.config';
import { ConfigurationError, Environment, splitList, validateConfig } from './validate-config';

class SendersEnv {
  /** `name:+1…|+1…,other:+1…`: each named client's pool of sender numbers. */
  @IsOptional()
  @IsString()
  SENDER_NUMBERS?: string;

  /** `name:url,…`: where each client receives its signed `message.received` events. */
  @IsOptional()
  @IsString()
  INBOUND_CALLBACK_URLS?: string;

  /** pool: a STOP to one number of a pool stops the whole pool; number: that number only. */
  @IsOptional()
  @IsIn(['pool', 'number'])
  OPT_OUT_SCOPE?: 'pool' | 'number';
}

export type OptOutScope = 'pool' | 'number';

export interface SendersConfig {
  /** Client name → its pool (SENDER_NUMBERS), in the order given. */
  pools: Record<string, string[]>;
  /** The pool of every client SENDER_NUMBERS does not name: PLIVO_SENDER_NUMBER. */
  defaultPool: string[];
  /** Number → the client whose pool holds it (SENDER_NUMBERS only: the default pool is shared). */
  owners: Record<string, string>;
  /** Client name → the URL its `message.received` events go to. */
  inboundCallbackUrls: Record<string, string>;
  optOutScope: OptOutScope;
}

/**
 * SENDER_NUMBERS, INBOUND_CALLBACK_URLS and OPT_OUT_SCOPE, checked against the clients API_KEYS
 * and ADMIN_API_KEYS name. A number belongs to one pool: two clients sharing a number would
 * share its conversations, its opt-outs and its inbound messages. PLIVO_SENDER_NUMBER is the
 * pool of every client not named, so it may not be in a named pool either; INBOUND_CLIENTS may
 * not give a pool's number to another client. Problems name an entry by its position (an
 * INBOUND_CLIENTS one by its text, which holds no secret).
 */
export function buildSendersConfig(
  env: Environment,
  clients: ClientsConfig,
  defaultNumber: string,
): SendersConfig {
  const valid = validateConfig(env, SendersEnv);
  const names = new Set(clients.keys.map((k) => k.name).filter(Boolean));
  const problems: string[] = [];
  const pools: Record<string, string[]> = {};
  const owners: Record<string, string> = {};
  splitList(valid.SENDER_NUMBERS).forEach((entry, index) => {
    const where = `SENDER_NUMBERS: entry ${index + 1}`;
    const colon = entry.indexOf(':');
    const name = colon < 0 ? '' : entry.slice(0, colon).trim();
    const numbers = (colon < 0 ? '' : entry.slice(colon + 1)).split('|').map((n) => n.trim());
    if (!name) return void problems.push(`${where}: not name:+E164|+E164…`);
    if (!names.has(name))
      return void problems.push(
        `${where}: "${name}" is not a client named in API_KEYS or ADMIN_API_KEYS`,
      );
    if (Object.hasOwn(pools, name))
      return void problems.push(`${where}: "${name}" already has a pool (entry of its own)`);
    if (numbers.every((n) => n === ''))
      return void problems.push(`${where}: the pool of "${name}" is empty`);
    pools[name] = [];
    numbers.forEach((number, i) => {
      const at = `${where}, number ${i + 1}`;
      if (!isE164PhoneNumber(number))
        problems.push(`${at}: "${number}" is not a valid E.164 number (e.g. +14155550100)`);
      else if (number === defaultNumber)
        problems.push(
          `${at}: ${number} is PLIVO_SENDER_NUMBER, the pool of every client not named here; a number belongs to one client`,
        );
      else if (Object.hasOwn(owners, number))
        problems.push(`${at}: ${number} is already in the pool of "${owners[number]}"`);
      else {
        owners[number] = name;
        pools[name].push(number);
      }
    });
  });
  // INBOUND_CLIENTS overrides the owner only of a number no pool holds (PLIVO_SENDER_NUMBER, a
  // receive-only number); naming a pool's number for another client would split its
  // conversations, opt-outs and replies from its inbound messages.
  for (const [number, name] of Object.entries(clients.inboundClients))
    if (Object.hasOwn(owners, number) && owners[number] !== name)
      problems.push(
        `INBOUND_CLIENTS: "${number}:${name}": ${number} is in the SENDER_NUMBERS pool of "${owners[number]}"; a number belongs to one client (name "${owners[number]}" or leave it out)`,
      );
  const inboundCallbackUrls: Record<string, string> = {};
  splitList(valid.INBOUND_CALLBACK_URLS).forEach((entry, index) => {
    const where = `INBOUND_CALLBACK_URLS: entry ${index + 1}`;
    const colon = entry.indexOf(':');
    const [name, url] = [entry.slice(0, Math.max(colon, 0)), entry.slice(colon + 1)];
    if (colon < 0 || !isHttpUrl(url)) problems.push(`${where}: not name:http(s)://…`);
    else if (!names.has(name))
      problems.push(`${where}: "${name}" is not a client named in API_KEYS or ADMIN_API_KEYS`);
    else if (Object.hasOwn(inboundCallbackUrls, name))
      problems.push(`${where}: "${name}" already has a URL`);
    else inboundCallbackUrls[name] = url;
  });
  if (problems.length > 0) throw new ConfigurationError(problems);
  return {
    pools,
    defaultPool: [defaultNumber],
    owners,
    inboundCallbackUrls,
    optOutScope: valid.OPT_OUT_SCOPE ?? 'pool',
  };
}

/** The numbers a client sends from: its SENDER_NUMBERS pool, else PLIVO_SENDER_NUMBER. */
export function poolOfClient(config: SendersConfig, clientId: string): string[] {
  return Object.hasOwn(config.pools, clientId) ? config.pools[clientId] : config.defaultPool;
}

/**
 * The numbers whose opt-outs apply to a message from `number`: its whole pool under
 * OPT_OUT_SCOPE=pool (a named pool, or the default one), else the number alone (also for a
 * number no pool holds any more: its own record still counts).
 */
export function optOutScopeOf(config: SendersConfig, number: string): string[] {
  if (config.optOutScope === 'number') return [number];
  if (Object.hasOwn(config.owners, number)) return config.pools[config.owners[number]];
  if (config.defaultPool.includes(number)) return config.defaultPool;
  return [number];
}
