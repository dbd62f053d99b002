import { createHmac, timingSafeEqual } from 'node:crypto';
import { URLSearchParams } from 'node:url';

/**
 * Plivo webhook signatures (X-Plivo-Signature-V3 / -V2), re-implemented so we can compare in
 * constant time and check several tokens (rotation, main account vs subaccount) — the SDK's
 * `validateV3Signature` does neither. The V3 string-to-sign mirrors plivo-node 4.79.0
 * (dist/utils/v3Security.js) and is cross-checked against it in the spec.
 */
export type SignedParams = Record<string, string | string[] | undefined>;

type MultiMap = Record<string, string[]>;

// Prototype-less so attacker-chosen keys like "__proto__" or "constructor" are plain data.
const emptyMap = (): MultiMap => Object.create(null) as MultiMap;

// Same split as the SDK's uri-parser for well-formed absolute URLs: scheme, host and port are
// kept verbatim (no lower-casing, default ports not dropped), path verbatim (trailing slash
// kept, no dot-segment or percent normalisation), fragment dropped. WHATWG `new URL()` would
// normalise all of those and so change the bytes Plivo signed.
const URL_RE = /^([^:/?#]+):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?/;

function splitUrl(url: string): { base: string; query: string } {
  const m = URL_RE.exec(url);
  if (!m) throw new TypeError('expected an absolute URL (scheme://host/path)');
  // Userinfo never reaches the signature; an empty port ("host:/p") is dropped like the SDK does.
  // Deliberate divergence: uri-parser (loose mode) treats an '@' anywhere in the path or query
  // as the end of userinfo and signs the wrong host; we only look inside the authority.
  const authority = m[2].slice(m[2].lastIndexOf('@') + 1).replace(/:$/, '');
  return { base: `${m[1]}://${authority}${m[3]}`, query: m[4] ?? '' };
}

// The SDK decodes the URI query with Node's querystring.parse ('+' = space, %XX decoded, bad
// escapes left literal). URLSearchParams decodes identically for ASCII input, except that it
// drops one leading '?' (querystring.parse keeps it in the first key) — hence the '&' prefix.
function parseQuery(query: string): MultiMap {
  const out = emptyMap();
  for (const [k, v] of new URLSearchParams('&' + query)) (out[k] ??= []).push(v);
  return out;
}

// undefined values are skipped (the SDK would throw on them); String() matches the SDK's
// toString() if a parsed body ever smuggles in a non-string. Copies so callers' arrays are
// not sorted in place (the SDK mutates them).
function toMultiMap(params: SignedParams, into: MultiMap = emptyMap()): MultiMap {
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    const values = (Array.isArray(v) ? v : [v]).map(String);
    into[k] = k in into ? into[k].concat(values) : values;
  }
  return into;
}

// Keys and each key's values in JS default order (UTF-16 code units), exactly as the SDK sorts.
function sortedPairs(map: MultiMap): Array<[string, string]> {
  return Object.keys(map)
    .sort()
    .flatMap((k) => [...map[k]].sort().map((v): [string, string] => [k, v]));
}

function v3StringToSign(method: 'GET' | 'POST', url: string, params: SignedParams): string {
  const { base, query } = splitUrl(url);
  if (method === 'GET') {
    // GET callbacks carry their data in the query, so the SDK merges URI query and params into
    // one sorted `k=v&k=v` query. Callers pass {} here, or every query value is signed twice.
    const q = sortedPairs(toMultiMap(params, parseQuery(query)))
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    return q ? `${base}?${q}` : base;
  }
  // POST: sorted URI query as `k=v&…`, then the body as bare `kv` concatenations. '?' appears
  // if either part is non-empty — even for a URL without a query — and '.' only between two
  // non-empty parts. An empty-array param still counts as "has params" (lodash isEmpty).
  const q = sortedPairs(parseQuery(query))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const body = toMultiMap(params);
  const hasBody = Object.keys(body).length > 0;
  const bodyStr = sortedPairs(body)
    .map(([k, v]) => k + v)
    .join('');
  return base + (q || hasBody ? '?' + q : '') + (q && hasBody ? '.' : '') + bodyStr;
}

// Deliberate divergence: the SDK passes url, token and nonce through utf8.encode() and then
// hashes that binary string as UTF-8 again, so raw non-ASCII characters get double-encoded.
// We encode once. Identical for ASCII, which covers real traffic: URLs arrive percent-encoded.
function hmacBase64(key: string, data: string): string {
  return createHmac('sha256', key).update(data, 'utf8').digest('base64');
}

/** Base64(HMAC-SHA256(authToken, <string to sign>)) for Plivo's V3 scheme; url is the full URL Plivo called (scheme://host[:port]/path?query). */
export function computeV3Signature(input: {
  method: 'GET' | 'POST';
  url: string;
  params: SignedParams;
  nonce: string;
  authToken: string;
}): string {
  if (input.method !== 'GET' && input.method !== 'POST')
    throw new TypeError('method must be GET or POST');
  return hmacBase64(
    input.authToken,
    `${v3StringToSign(input.method, input.url, input.params)}.${input.nonce}`,
  );
}

/** V2: Base64(HMAC-SHA256(token, scheme://host[:port]/path + nonce)), query dropped, body not signed. Timing-safe; any token. */
export function computeV2Signature(input: {
  url: string;
  nonce: string;
  authToken: string;
}): string {
  return hmacBase64(input.authToken, splitUrl(input.url).base + input.nonce);
}

// Checks every (token, candidate) pair without short-circuiting so the time taken does not
// reveal which token or which header entry matched. Plivo may send several comma-separated
// signatures; whitespace around them is tolerated (it can never be part of Base64).
function matchesAny(
  header: string | undefined,
  authTokens: readonly string[],
  sign: (token: string) => string,
): boolean {
  if (typeof header !== 'string' || header.length === 0) return false;
  const candidates = header
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => Buffer.from(s, 'utf8'));
  let ok = false;
  for (const token of authTokens) {
    // An empty token is a misconfiguration, not a secret; never let it authenticate anything.
    if (typeof token !== 'string' || token.length === 0) continue;
    const expected = Buffer.from(sign(token), 'utf8');
    for (const c of candidates) {
      // Length is public (always 44 chars for SHA-256); timingSafeEqual requires equal lengths.
      if (c.length === expected.length && timingSafeEqual(c, expected)) ok = true;
    }
  }
  return ok;
}

/** True when any comma-separated signature in `header` matches for any of `authTokens`. Timing-safe comparison (crypto.timingSafeEqual on equal-length buffers; never ===). Returns false (never throws) on empty/garbage input. */
export function verifyV3Signature(input: {
  method: string;
  url: string;
  params: SignedParams;
  nonce: string | undefined;
  header: string | undefined;
  authTokens: readonly string[];
}): boolean {
  const { method, url, params, nonce } = input;
  if (method !== 'GET' && method !== 'POST') return false;
  if (typeof nonce !== 'string' || nonce.length === 0) return false;
  try {
    return matchesAny(input.header, input.authTokens, (authToken) =>
      computeV3Signature({ method, url, params: params ?? {}, nonce, authToken }),
    );
  } catch {
    return false; // unparseable URL or hostile params: reject rather than 500
  }
}

/** V2 counterpart of verifyV3Signature: same header splitting, token list and never-throw contract. */
export function verifyV2Signature(input: {
  url: string;
  nonce: string | undefined;
  header: string | undefined;
  authTokens: readonly string[];
}): boolean {
  const { url, nonce } = input;
  if (typeof nonce !== 'string' || nonce.length === 0) return false;
  try {
    return matchesAny(input.header, input.authTokens, (authToken) =>
      computeV2Signature({ url, nonce, authToken }),
    );
  } catch {
    return false;
  }
}
