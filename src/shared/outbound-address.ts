import * as ipaddr from 'ipaddr.js';
import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';

/**
 * Only globally routable unicast addresses may be fetched by Plivo on our behalf (media), by
 * our preflight, or called back (client status callbacks): ipaddr.js classifies loopback,
 * private, link-local (cloud metadata), CGNAT, multicast, unspecified, reserved and the IPv6
 * ranges (ULA, link-local, NAT64, 6to4, Teredo…) as something else. IPv4-mapped IPv6 is
 * unwrapped first, so ::ffff:127.0.0.1 is loopback.
 */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(bare)) return false;
  const parsed = ipaddr.process(bare);
  // ::/96, the deprecated IPv4-compatible form (::10.0.0.1 is ::a00:1), which ipaddr.js calls
  // unicast: it names an IPv4 address that the checks above never saw. No public host uses it.
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).parts.slice(0, 6).every((p) => p === 0))
    return false;
  return parsed.range() === 'unicast';
}

/**
 * Whether a URL's host is an address. The WHATWG URL parser spells every IPv4 host as four
 * decimal parts and every IPv6 one in brackets, so a host of another shape is a name, told
 * without ipaddr.js's parse (which throws, and builds an Error, for every name it is given).
 */
export function isIpLiteral(host: string): boolean {
  if (!host.startsWith('[') && !FOUR_DECIMAL_PARTS.test(host)) return false;
  return ipaddr.isValid(host.replace(/^\[|\]$/g, ''));
}

const FOUR_DECIMAL_PARTS = /^\d+\.\d+\.\d+\.\d+$/;

export interface OutboundUrlRules {
  /** http: too (else https only). */
  allowHttp: boolean;
  /** `host:port` pairs that may be private (tests, private networks); lower-case. */
  privateHostsAllowed?: ReadonlySet<string>;
}

/** `host:port` of a URL, the default port filled in, lower-case, without a trailing dot. */
export function hostPortOf(url: URL): string {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return `${url.hostname.replace(/\.$/, '').toLowerCase()}:${port}`;
}

/**
 * Why a URL given by a client must not be fetched or called, or undefined when it may. WHATWG
 * URL parsing first normalises the host, so 0177.0.0.1, 2130706433 and 0x7f.1 are all seen as
 * 127.0.0.1. A host name passes here; what it resolves to is checked on connection
 * (checkedLookup), since DNS can answer differently then.
 */
export function outboundUrlProblem(raw: string, rules: OutboundUrlRules): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a valid absolute URL';
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && rules.allowHttp)) {
    return rules.allowHttp ? 'only http and https URLs are allowed' : 'only https URLs are allowed';
  }
  if (url.username || url.password) return 'URLs with credentials are not allowed';
  const host = url.hostname.replace(/\.$/, '').toLowerCase();
  if (!host) return 'the URL has no host';
  if (rules.privateHostsAllowed?.has(hostPortOf(url))) return undefined;
  if (host === 'localhost' || host.endsWith('.localhost')) return 'localhost is not allowed';
  if (isIpLiteral(host) && !isPublicAddress(host)) return `${host} is not a public address`;
  return undefined;
}

/**
 * dns.lookup that refuses the host when ANY of its addresses is not allowed, for an http(s)
 * request's `lookup` option: the socket then connects to an address that was checked, so a DNS
 * answer cannot swap in a private address between check and use. Fails with code EBLOCKED.
 */
export function checkedLookup(allowed: (address: string) => boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const blocked = addresses.find((a) => !allowed(a.address));
      if (blocked || addresses.length === 0) {
        return callback(
          Object.assign(new Error(`${hostname} resolves to a non-public address`), {
            code: 'EBLOCKED',
          }),
          '',
          0,
        );
      }
      if ((options as { all?: boolean }).all)
        return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/**
 * What a client is told when a request to its URL failed before any answer: one text whether
 * the host does not resolve, resolves to an address we refuse, or refused, reset or failed the
 * connection (TLS included). Telling them apart would let a client map which internal names
 * exist and which ports are open; the cause goes to the server log only.
 */
export const UNREACHABLE =
  'could not be reached: its host does not resolve to public addresses only, or the connection failed';

export interface OutboundRequest {
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** The request's deadline. */
  signal: AbortSignal;
  /** checkedLookup's function; omitted only for a host allowed to be private. */
  lookup?: LookupFunction;
}

/**
 * One http(s) request to a client-given URL; resolves with the response as soon as its headers
 * arrive (the caller reads or drops the body). No pooled socket: every connection goes through
 * `lookup`, and none is reused from a connection opened for another purpose.
 */
export function outboundRequest(url: URL, request: OutboundRequest): Promise<IncomingMessage> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const { method, headers, body, signal, lookup } = request;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      { method, headers, agent: false, signal, ...(lookup ? { lookup } : {}) },
      resolve,
    );
    req.once('error', reject);
    req.end(body);
  });
}
