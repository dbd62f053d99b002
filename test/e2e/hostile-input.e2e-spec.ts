/**
 * Hostile input: fast-check drives POST /send-mms and both Plivo webhooks with malformed
 * requests (wrong types, huge strings, arrays for strings, deep nesting, __proto__ /
 * constructor / prototype keys, odd unicode, nulls, 1e309, wrong content types, bad charsets
 * and encodings) against one real app (real MongoDB-wire server, Plivo simulator).
 *
 * Invariants: never a 5xx; every error is JSON `{statusCode, error, code, message, requestId}`, its
 * `errors` naming each field once (one message for a missing one, a blocked media URL under
 * `mediaUrl` or `mediaUrls[i]`); no
 * request reaches Plivo unless the answer is 202, and a 202 only for a body that is valid per
 * the README (judged here independently and conservatively: valid / invalid / unknown); an
 * unsigned webhook is 403; a signed one is 2xx or 4xx; no prototype pollution.
 *
 * Seeded and bounded (FC_SEED overrides the seed). Bodies are written as raw JSON text so that
 * JSON.parse creates own `__proto__` keys exactly as the server's body parser does.
 */
import fc from 'fast-check';
import http, { STATUS_CODES } from 'node:http';
// Hand-built signatures only where the cases need what a well-behaved signer never sends: an
// empty nonce, params other than the body's, repeated (array) params.
import { computeV3Signature } from '../../src/mms/webhooks/plivo-signature';
import { PLIVO_WEBHOOK_ROUTES } from '../../src/mms/plivo/webhook-routes';
import { nonce, postSigned, signatureHeaders } from '../support/plivo-signing';
import { createTestApp, TestApp } from '../support/test-app';

const SEED = Number(process.env.FC_SEED ?? 20250611);
const PROPERTY_TIMEOUT_MS = 55_000;
/** Each property may use at most this long (shrinking included) before it counts as failed. */
const TIME_LIMIT_MS = 45_000;
const BODY_LIMIT_BYTES = 100 * 1024; // BODY_LIMIT default '100kb' (bytes.parse: 102400)

const STATUS_PATH = PLIVO_WEBHOOK_ROUTES.status;
const INBOUND_PATH = PLIVO_WEBHOOK_ROUTES.inbound;

// ---------------------------------------------------------------------------------------------
// The contract, judged independently of the server's code
// ---------------------------------------------------------------------------------------------

const DTO_FIELDS = ['destinationNumber', 'messageText', 'mediaUrl', 'mediaUrls', 'mediaIds'];
const VALID_NUMBERS = ['+14157654321', '+16135550123', '+12125550123', '+14155552671'];
const VALID_URLS = [
  'https://media.giphy.com/media/26gscSULUcfKU7dHq/source.gif',
  'https://media.example.com/a.gif',
  'http://cdn.example.org/v.mp4',
  'https://m.example.com/b.png?x=1&y=%20',
];
const MEDIA_ID = /^[A-Za-z0-9-]{1,64}$/;
const PLIVO_STATUSES = ['queued', 'sent', 'delivered', 'undelivered', 'failed', 'rejected', 'read'];

/**
 * Names that are not body fields yet are silently dropped before validation instead of being
 * refused: `__proto__`/`constructor`/`prototype` (Nest's stripProtoKeys, class-transformer),
 * Object.prototype members (class-transformer skips keys naming an inherited function) and
 * `media` (the DTO's getter). They are kept out of the general properties and get their own.
 */
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'];
const SHADOW_KEYS = [
  ...PROTO_KEYS,
  'media',
  ...Object.getOwnPropertyNames(Object.prototype).filter((k) => !PROTO_KEYS.includes(k)),
];

type Verdict = 'valid' | 'invalid' | 'unknown';
const worst = (verdicts: Verdict[]): Verdict =>
  verdicts.includes('invalid') ? 'invalid' : verdicts.includes('unknown') ? 'unknown' : 'valid';

const own = (o: object, key: string): unknown =>
  Object.prototype.hasOwnProperty.call(o, key)
    ? Object.getOwnPropertyDescriptor(o, key)?.value
    : undefined;
const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
/** Strings whose validator length may differ from .length (surrogate pairs, variation selectors). */
const countsAmbiguously = (v: string) =>
  /[\uD800-\uDFFF]/.test(v) || v.includes('\uFE0E') || v.includes('\uFE0F');
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function judgePhone(v: unknown): Verdict {
  if (typeof v === 'string' && VALID_NUMBERS.includes(v)) return 'valid';
  // Shaped like E.164 but not one we know to be assigned: either answer is acceptable.
  if (typeof v === 'string' && /^\+[1-9]\d{6,14}$/.test(v)) return 'unknown';
  return 'invalid';
}

function judgeText(v: unknown): Verdict {
  if (typeof v !== 'string' || v.length === 0) return 'invalid';
  if (v.trim() === '') return 'invalid'; // whitespace only (README: "not only whitespace")
  if (v.length <= 1600) return 'valid';
  if (!countsAmbiguously(v)) return 'invalid'; // exact length > 1600
  return v.length > 3200 ? 'invalid' : 'unknown'; // "characters" is ambiguous for astral text
}

function judgeUrl(v: unknown): Verdict {
  if (typeof v !== 'string') return 'invalid';
  if (VALID_URLS.includes(v)) return 'valid';
  if (!/^https?:\/\//i.test(v) || v.length > 2048) return 'invalid';
  return 'unknown';
}

const judgeMediaId = (v: unknown): Verdict =>
  typeof v === 'string' && MEDIA_ID.test(v) ? 'valid' : 'invalid';

/** [verdict, media count] of one list field. */
function judgeList(v: unknown, item: (x: unknown) => Verdict, form: boolean): [Verdict, number] {
  if (v === undefined) return ['valid', 0];
  // README: an optional field may be left out, not sent as null.
  if (v === null) return ['invalid', 0];
  // A lone form value is the one-element list (README: "a key sent once is a one-element
  // list"); in JSON a string is not a list.
  if (typeof v === 'string') return form ? [item(v), 1] : ['invalid', 0];
  if (!Array.isArray(v) || v.length > 10) return ['invalid', 0];
  return [worst(v.map(item)), v.length];
}

/** The README's contract for POST /send-mms, applied to the body exactly as the server parses it. */
function judgeSend(body: unknown, form: boolean): Verdict {
  if (!isRecord(body)) return 'invalid';
  if (Object.keys(body).some((k) => !DTO_FIELDS.includes(k))) return 'invalid'; // unknown field
  const mediaUrl = own(body, 'mediaUrl');
  const [urlsVerdict, urlsCount] = judgeList(own(body, 'mediaUrls'), judgeUrl, form);
  const [idsVerdict, idsCount] = judgeList(own(body, 'mediaIds'), judgeMediaId, form);
  // Left out, or a URL (a null is neither).
  const mediaUrlVerdict: Verdict = mediaUrl === undefined ? 'valid' : judgeUrl(mediaUrl);
  const count = (typeof mediaUrl === 'string' && mediaUrl ? 1 : 0) + urlsCount + idsCount;
  return worst([
    judgePhone(own(body, 'destinationNumber')),
    judgeText(own(body, 'messageText')),
    mediaUrlVerdict,
    urlsVerdict,
    idsVerdict,
    count >= 1 && count <= 10 ? 'valid' : 'invalid',
  ]);
}

// ---------------------------------------------------------------------------------------------
// Raw JSON text (own __proto__ keys, 1e309, duplicate keys) and form encoding
// ---------------------------------------------------------------------------------------------

type Json =
  | { t: 'lit'; text: string }
  | { t: 'arr'; items: Json[] }
  | { t: 'obj'; entries: Array<[string, Json]> };

const lit = (text: string): Json => ({ t: 'lit', text });
const str = (s: string): Json => lit(JSON.stringify(s));
const obj = (entries: Array<[string, Json]>): Json => ({ t: 'obj', entries });

function toText(j: Json): string {
  if (j.t === 'lit') return j.text;
  if (j.t === 'arr') return `[${j.items.map(toText).join(',')}]`;
  return `{${j.entries.map(([k, v]) => `${JSON.stringify(k)}:${toText(v)}`).join(',')}}`;
}

/** Percent-encodes the UTF-8 bytes (a lone surrogate becomes U+FFFD, as any encoder would). */
function formEncode(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
const formText = (entries: Array<[string, string]>) =>
  entries.map(([k, v]) => `${formEncode(k)}=${formEncode(v)}`).join('&');

/** What a urlencoded parser yields: one value → string, a repeated key → array, in order. */
function formParsed(entries: Array<[string, string]>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null);
  for (const [key, v] of entries) {
    const k = Buffer.from(key, 'utf8').toString('utf8');
    const value = Buffer.from(v, 'utf8').toString('utf8');
    const prev = out[k];
    out[k] = prev === undefined ? value : [...(Array.isArray(prev) ? prev : [prev]), value];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------

// prettier-ignore
const ODD_UNICODE = [
  '\u0000', '\u0007', '\u001b', '\r\n', '\u2028', '\u2029', '\u202e', '\u202d', '\u200b', '\u200d',
  '\ufeff', '\ud800', '\udfff', '\udbff\udfff', '😀', '👨‍👩‍👧‍👦', '🏳️‍🌈', 'e\u0301', '\ufe0f', 'İ',
  'ß', 'ﷺ', '𝕏', '\uffff', '\ufffe', 'עברית', 'مرحبا', '\u0085', '%00', '\\', '"', "'",
];

// prettier-ignore
const NEAR_MISSES = [
  '', ' ', '+', '+1', '+1415765432', '14157654321', '+1 415 765 4321', '+1-415-765-4321',
  '+14157654321 ', ' +14157654321', '+14157654321\u0000', '+１４１５７６５４３２１', '+0000000000',
  '+999999999999999', '+1415765432١', 'javascript:alert(1)', 'ftp://example.com/a.gif', 'https://',
  'http://localhost/a.gif', '//example.com/a.gif', 'https://example.com/' + 'x'.repeat(2100),
  'data:image/gif;base64,R0lGOD', 'file:///etc/passwd', 'http://[::1]/x', '{"$gt":""}', '$where',
  'null', 'undefined', 'NaN', 'true', '0', '-1', '1e309', '801c2056-33ab-499c-80ef-58b574a462a2',
  'a'.repeat(65), 'abc_123', 'queued', '<script>alert(1)</script>', '${7*7}', '../../etc/passwd',
];

const oddString = fc
  .array(fc.constantFrom(...ODD_UNICODE), { minLength: 1, maxLength: 8 })
  .map((parts) => parts.join(''));

/** Up to ~50 000 characters; multi-byte ones can push a body over the 100 kB limit. */
const hugeString = fc
  .tuple(
    fc.constantFrom('x', 'é', '😀', '\u0000', '\u202e', 'ab ', '\ud800'),
    fc.integer({ min: 1601, max: 50_000 }),
  )
  .map(([unit, n]) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n));

const smallString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...VALID_NUMBERS, ...VALID_URLS), weight: 3 },
  { arbitrary: fc.constantFrom(...NEAR_MISSES), weight: 4 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 3 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }), weight: 2 },
  { arbitrary: oddString, weight: 3 },
  { arbitrary: fc.stringMatching(MEDIA_ID), weight: 1 },
);
const hostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: smallString, weight: 12 },
  { arbitrary: hugeString, weight: 1 },
);
/** At most 8 000 UTF-16 units: under 72 kB however it is escaped or percent-encoded (9 bytes a unit at worst). */
const bigString = fc
  .tuple(
    fc.constantFrom('x', 'é', '😀', '\u0000', '\u202e', '\ufeff'),
    fc.integer({ min: 1000, max: 8000 }),
  )
  .map(([unit, n]) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n));
/** `arb` most of the time, else null. */
const rarely = <T>(arb: fc.Arbitrary<T>, oneIn: number) =>
  fc.oneof({ arbitrary: fc.constant(null), weight: oneIn - 1 }, { arbitrary: arb, weight: 1 });

// prettier-ignore
const NUMBER_LITERALS = [
  '1e309', '-1e309', '1E400', '-0', '-0.0', '1e-400', '4.9e-324', '0.1e1',
  '12345678901234567890123456789', '14157654321', '9007199254740993', '1.7976931348623157e308',
];

const scalarJson: fc.Arbitrary<Json> = fc.oneof(
  { arbitrary: hostileString.map(str), weight: 6 },
  { arbitrary: fc.constantFrom(...NUMBER_LITERALS).map(lit), weight: 2 },
  { arbitrary: fc.integer().map((n) => lit(String(n))), weight: 1 },
  {
    arbitrary: fc
      .double({ noNaN: true, noDefaultInfinity: true })
      .map((n) => lit(JSON.stringify(n))),
    weight: 1,
  },
  { arbitrary: fc.constantFrom('true', 'false', 'null').map(lit), weight: 2 },
);

// prettier-ignore
const GARBAGE_KEYS = [
  'destination_number', 'DestinationNumber', 'destinationnumber', ' destinationNumber',
  'destinationNumber ', 'destinationNumber\u0000', 'messageText\u200b', 'mediaURL', 'mediaUrls[]',
  'mediaUrl[0]', 'a.b', '$where', '$gt', 'src', 'dst', 'text', 'url', 'type', 'media_urls',
  'powerpack_uuid', 'x'.repeat(300), '😀', '\u202edestinationNumber', '0', '-1', 'length', 'id',
];

/** Keys of the general properties: the DTO's fields and garbage, but not the shadow names. */
const plainKey: fc.Arbitrary<string> = fc
  .oneof(
    { arbitrary: fc.constantFrom(...DTO_FIELDS), weight: 6 },
    { arbitrary: fc.constantFrom(...GARBAGE_KEYS), weight: 3 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 12 }), weight: 2 },
  )
  .filter((k) => !SHADOW_KEYS.includes(k) && k !== '' && !k.startsWith('['));
// (A leading '[' is unwrapped by the form parser, '[a]' → 'a'; '' is dropped by it.)

const { json: nestedJson } = fc.letrec<{ json: Json }>((tie) => ({
  json: fc.oneof(
    { maxDepth: 4, depthIdentifier: 'json' },
    { arbitrary: scalarJson, weight: 5 },
    {
      arbitrary: fc
        .array(tie('json'), { maxLength: 4, depthIdentifier: 'json' })
        .map((items): Json => ({ t: 'arr', items })),
      weight: 2,
    },
    {
      arbitrary: fc
        .array(fc.tuple(plainKey, tie('json')), { maxLength: 3, depthIdentifier: 'json' })
        .map(obj),
      weight: 1,
    },
  ),
}));

/** Values for a field: garbage of any type, plus arrays of strings (arrays for strings). */
const fieldValue: fc.Arbitrary<Json> = fc.oneof(
  { arbitrary: nestedJson, weight: 5 },
  {
    arbitrary: fc
      .array(hostileString.map(str), { maxLength: 13 })
      .map((items): Json => ({ t: 'arr', items })),
    weight: 2,
  },
  {
    arbitrary: fc
      .array(fc.constantFrom(...VALID_URLS).map(str), { minLength: 1, maxLength: 12 })
      .map((items): Json => ({ t: 'arr', items })),
    weight: 1,
  },
);

const validText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('Hello from Plivo MMS!', ' ', 'x'.repeat(1600), 'Hi 😀 \u202eRTL\u200b'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 64 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 64 }),
  oddString,
);

/** A body valid per the README, as ordered [field, string | string[]] pairs. */
const validBase: fc.Arbitrary<Array<[string, string | string[]]>> = fc
  .record({
    destinationNumber: fc.constantFrom(...VALID_NUMBERS),
    messageText: validText,
    media: fc.oneof(
      fc.constantFrom(...VALID_URLS).map((u) => ({ mediaUrl: u })),
      fc
        .array(fc.constantFrom(...VALID_URLS), { minLength: 1, maxLength: 3 })
        .map((u) => ({ mediaUrls: u })),
      fc
        .array(fc.stringMatching(MEDIA_ID), { minLength: 1, maxLength: 3 })
        .map((i) => ({ mediaIds: i })),
      fc.record({
        mediaUrl: fc.constantFrom(...VALID_URLS),
        mediaUrls: fc.array(fc.constantFrom(...VALID_URLS), { maxLength: 4 }),
        mediaIds: fc.array(fc.stringMatching(MEDIA_ID), { maxLength: 5 }),
      }),
    ),
  })
  .map(({ destinationNumber, messageText, media }) => [
    ['destinationNumber', destinationNumber],
    ['messageText', messageText],
    ...(Object.entries(media) as Array<[string, string | string[]]>),
  ]);

type Mutation<V> =
  | { op: 'set'; key: string; value: V }
  | { op: 'add'; key: string; value: V } // a duplicate key (JSON: last wins; form: an array)
  | { op: 'del'; key: string };

function mutations<V>(key: fc.Arbitrary<string>, value: fc.Arbitrary<V>) {
  return fc.array(
    fc.oneof(
      fc.record({ op: fc.constant('set' as const), key, value }),
      fc.record({ op: fc.constant('add' as const), key, value }),
      fc.record({ op: fc.constant('del' as const), key: fc.constantFrom(...DTO_FIELDS) }),
    ),
    { maxLength: 4 },
  );
}

function applyMutations<V>(entries: Array<[string, V]>, muts: Mutation<V>[]): Array<[string, V]> {
  let out = [...entries];
  for (const m of muts) {
    if (m.op === 'del') out = out.filter(([k]) => k !== m.key);
    else if (m.op === 'add' || !out.some(([k]) => k === m.key)) out.push([m.key, m.value]);
    else out = out.map(([k, v]): [string, V] => (k === m.key ? [k, m.value] : [k, v]));
  }
  return out;
}

const asJson = (v: string | string[]): Json =>
  typeof v === 'string' ? str(v) : { t: 'arr', items: v.map(str) };
const asForm = (entries: Array<[string, string | string[]]>): Array<[string, string]> =>
  entries.flatMap(([k, v]) =>
    typeof v === 'string' ? [[k, v]] : v.map((x): [string, string] => [k, x]),
  );

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  body: unknown;
}

/** A raw request: exact bytes and headers (no default content type), JSON answer decoded. */
function send(
  baseUrl: string,
  path: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(
      baseUrl + path,
      { method: 'POST', headers: { ...headers, 'Content-Length': String(payload.length) } },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed });
        });
      },
    );
    // An early 413 may close the socket while the rest of a big body is still being written.
    req.on('error', (err) => (answered ? undefined : reject(err)));
    req.end(payload);
  });
}

const describeReply = (r: { status: number; text?: string }) =>
  `${r.status} ${(r.text ?? '').slice(0, 300)}`;

/** Never a 5xx; an error is JSON {statusCode, error, code, message, requestId}; a 202 is the send answer. */
function checkShape(r: Reply) {
  if (r.status >= 500) throw new Error(`5xx: ${describeReply(r)}`);
  if (r.status === 200 && r.text === '') return; // inbound webhook: 200 with an empty body
  const contentType = String(r.headers['content-type'] ?? '');
  if (!contentType.startsWith('application/json'))
    throw new Error(`not JSON (${contentType}): ${describeReply(r)}`);
  const b = r.body as Record<string, unknown> | undefined;
  if (r.status === 202) {
    if (
      b?.status !== 'queued' ||
      typeof b.messageId !== 'string' ||
      !/^[0-9a-f]{24}$/.test(b.messageId)
    )
      throw new Error(`unexpected 202 body: ${describeReply(r)}`);
    return;
  }
  if (r.status >= 400) {
    const ok =
      isRecord(b) &&
      b.statusCode === r.status &&
      typeof b.error === 'string' &&
      typeof b.code === 'string' &&
      /^[A-Z][A-Z0-9_]*$/.test(b.code) &&
      typeof b.message === 'string' &&
      typeof b.requestId === 'string';
    if (!ok) throw new Error(`error body without the common shape: ${describeReply(r)}`);
    checkFieldErrors(r, b);
  }
}

/**
 * A refused field is named once, with one message when it is missing; a blocked media URL is
 * named under the field it came in (`mediaUrl`, `mediaUrls[i]`).
 */
function checkFieldErrors(r: Reply, b: Record<string, unknown>) {
  if (b.errors === undefined) return;
  const errors = b.errors as { field: unknown; messages: unknown }[];
  const fields = errors.map((e) => e.field);
  if (
    !Array.isArray(errors) ||
    !errors.every(
      (e) =>
        typeof e.field === 'string' &&
        Array.isArray(e.messages) &&
        e.messages.length > 0 &&
        e.messages.every((m) => typeof m === 'string'),
    ) ||
    new Set(fields).size !== fields.length
  )
    throw new Error(`errors must name each field once, with messages: ${describeReply(r)}`);
  for (const e of errors as { field: string; messages: string[] }[])
    if (e.messages.some((m) => m.endsWith(' is required')) && e.messages.length !== 1)
      throw new Error(`a missing field gets one message: ${describeReply(r)}`);
  if (
    b.code === 'MEDIA_URL_BLOCKED' &&
    !fields.every((f) => /^mediaUrl$|^mediaUrls\[\d+\]$/.test(String(f)))
  )
    throw new Error(`MEDIA_URL_BLOCKED under a field the client did not send: ${describeReply(r)}`);
}

// ---------------------------------------------------------------------------------------------
// Prototype pollution
// ---------------------------------------------------------------------------------------------

/** Prototypes of this realm, and the outer realm's Object.prototype (node:http objects live there). */
const PROTOTYPES: Array<[string, object]> = [
  ['Object.prototype', Object.prototype],
  ['Array.prototype', Array.prototype],
  ['String.prototype', String.prototype],
  ['Function.prototype', Function.prototype],
  ['Number.prototype', Number.prototype],
  ['Object.prototype (node realm)', Object.getPrototypeOf(STATUS_CODES) as object],
];
const POLLUTION_MARKERS = ['polluted', 'isAdmin', 'hostile'];

function prototypeSnapshot(): Record<string, string[]> {
  return Object.fromEntries(
    PROTOTYPES.map(([name, proto]) => [name, Reflect.ownKeys(proto).map(String).sort()]),
  );
}

function assertNotPolluted(before: Record<string, string[]>): void {
  const fresh: Record<string, unknown> = {};
  for (const marker of POLLUTION_MARKERS)
    if (fresh[marker] !== undefined) throw new Error(`prototype polluted: ({}).${marker}`);
  for (const key in fresh) throw new Error(`prototype polluted: enumerable ${key}`);
  const now = prototypeSnapshot();
  for (const [name] of PROTOTYPES) {
    const added = now[name].filter((k) => !before[name].includes(k));
    if (added.length > 0) throw new Error(`${name} gained own keys: ${added.join(', ')}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The properties
// ---------------------------------------------------------------------------------------------

describe('hostile input (fast-check, e2e: real app, real database, Plivo simulator)', () => {
  let t: TestApp;
  let snapshot: Record<string, string[]>;
  const plivoCalls = () => t.plivo.requests.length;
  const params = (numRuns: number, offset: number) => ({
    seed: SEED + offset,
    numRuns,
    interruptAfterTimeLimit: TIME_LIMIT_MS,
    markInterruptAsFailure: true,
  });

  beforeAll(async () => {
    snapshot = prototypeSnapshot();
    // The client rate limit (100 per 15 min by default) would turn most runs into 429s.
    t = await createTestApp({
      THROTTLE_LIMIT: '1000000',
      WEBHOOK_THROTTLE_LIMIT: '1000000',
      // Hundreds of forged webhooks on purpose, from one address.
      WEBHOOK_UNSIGNED_THROTTLE_LIMIT: '1000000',
    });
  });
  afterAll(async () => t?.close());

  /** One POST /send-mms: shape, Plivo calls, and the verdict of the contract. */
  async function sendMms(
    body: string,
    headers: Record<string, string>,
    verdict: Verdict,
    expectTooLarge = false,
  ): Promise<Reply> {
    const before = plivoCalls();
    const r = await send(t.baseUrl, '/send-mms', body, headers);
    checkShape(r);
    const calls = plivoCalls() - before;
    if (r.status === 202 && calls !== 1)
      throw new Error(`202 with ${calls} Plivo requests: ${describeReply(r)}`);
    if (r.status !== 202 && calls !== 0)
      throw new Error(`${r.status} yet ${calls} request(s) reached Plivo: ${describeReply(r)}`);
    if (expectTooLarge && r.status !== 413)
      throw new Error(`body over the limit, expected 413: ${describeReply(r)}`);
    if (verdict === 'invalid' && (r.status < 400 || r.status > 499))
      throw new Error(`invalid body, expected a 4xx: ${describeReply(r)}`);
    if (verdict === 'valid' && !expectTooLarge && r.status !== 202)
      throw new Error(`valid body, expected 202: ${describeReply(r)}`);
    if (verdict === 'unknown' && r.status !== 202 && (r.status < 400 || r.status > 499))
      throw new Error(`expected 202 or a 4xx: ${describeReply(r)}`);
    return r;
  }

  // -------------------------------------------------------------------------------------------
  // Webhooks
  // -------------------------------------------------------------------------------------------

  describe('Plivo webhooks', () => {
    // prettier-ignore
    const PLIVO_FIELDS = [
      'MessageUUID', 'Status', 'From', 'To', 'Text', 'Body', 'Type', 'MediaCount', 'Media0',
      'Media1', 'Media2', 'Media10', 'Media99', 'Sequence', 'ErrorCode', 'Units', 'TotalRate',
      'TotalAmount', 'MCC', 'MNC', 'MessageTime', 'PowerpackUUID', 'ParentMessageUUID',
    ];
    const webhookKey = fc.oneof(
      { arbitrary: fc.constantFrom(...PLIVO_FIELDS), weight: 6 },
      { arbitrary: fc.constantFrom(...GARBAGE_KEYS, ...SHADOW_KEYS), weight: 2 },
      { arbitrary: fc.string({ unit: 'binary', maxLength: 12 }), weight: 1 },
    );
    const webhookValue = fc.oneof(
      { arbitrary: smallString, weight: 4 },
      { arbitrary: fc.uuid(), weight: 2 },
      {
        arbitrary: fc.constantFrom(
          ...PLIVO_STATUSES,
          'DELIVERED',
          'Sent',
          'received',
          'pending',
          'unknown',
          'bogus',
        ),
        weight: 2,
      },
      { arbitrary: fc.constantFrom('14157654321', '+14157654321', '+14155550100', ''), weight: 1 },
    );
    const ref = fc.option(
      fc.oneof(fc.stringMatching(/^[0-9a-f]{24}$/), fc.constantFrom('x', '', '%00', '..', '{}')),
      { freq: 3 },
    );
    const path = fc
      .tuple(fc.constantFrom(STATUS_PATH, INBOUND_PATH), ref)
      .map(([p, r]) => (r === null ? p : `${p}?ref=${encodeURIComponent(r)}`));
    /** Callback params Plivo-style: a MessageUUID and Status or From/To usually present. */
    const callbackParams = fc
      .tuple(
        fc.record(
          {
            MessageUUID: fc.oneof(fc.uuid(), smallString),
            Status: fc.constantFrom(...PLIVO_STATUSES, 'Delivered', 'bogus', ''),
            From: fc.constantFrom('14157654321', '+14155550100', ' ', ''),
            To: fc.constantFrom('14155550100', '+14157654321', ''),
          },
          { requiredKeys: [] },
        ),
        fc.array(fc.tuple(webhookKey, webhookValue), { maxLength: 6 }),
        rarely(fc.tuple(webhookKey, bigString), 6),
      )
      .map(
        ([known, extra, big]) =>
          [...Object.entries(known), ...extra, ...(big ? [big] : [])] as Array<[string, string]>,
      );

    /** Own-keyed record (JSON.parse keeps "__proto__" as an own key); later keys win. */
    const toRecord = (entries: Array<[string, string]>): Record<string, string> =>
      JSON.parse(
        JSON.stringify(Object.fromEntries(entries.filter(([k]) => k !== '__proto__'))),
      ) as Record<string, string>;
    const withProto = (entries: Array<[string, string]>): Record<string, string> => {
      const record = toRecord(entries);
      const proto = entries.filter(([k]) => k === '__proto__').pop();
      if (proto)
        Object.defineProperty(record, '__proto__', {
          value: proto[1],
          enumerable: true,
          writable: true,
          configurable: true,
        });
      return record;
    };

    /** The outcome the README promises for a verified callback with these (normalized) params. */
    function judgeCallback(path: string, p: Record<string, unknown>): 'ok' | 'bad' | 'either' {
      const uuid = own(p, 'MessageUUID');
      const uuidOk = typeof uuid === 'string' && MEDIA_ID.test(uuid);
      if (path.startsWith(STATUS_PATH)) {
        const status = own(p, 'Status');
        if (!uuid || !status) return 'bad'; // README: "No MessageUUID or Status" → 400
        return uuidOk && typeof status === 'string' && PLIVO_STATUSES.includes(status.toLowerCase())
          ? 'ok'
          : 'either';
      }
      const [from, to] = [own(p, 'From'), own(p, 'To')];
      // Whitespace-only numbers are missing numbers (the server trims them).
      if (!uuid || !String(from ?? '').trim() || !String(to ?? '').trim()) return 'bad';
      return uuidOk ? 'ok' : 'either';
    }

    function checkWebhook(r: Reply, expected: 'ok' | 'bad' | 'either', calls: number) {
      checkShape(r);
      if (calls !== 0) throw new Error(`a webhook made ${calls} Plivo request(s)`);
      if (r.status >= 300 && r.status < 400) throw new Error(`3xx: ${describeReply(r)}`);
      if (expected === 'ok' && r.status !== 200)
        throw new Error(`expected 200: ${describeReply(r)}`);
      if (expected === 'bad' && r.status !== 400)
        throw new Error(`expected 400: ${describeReply(r)}`);
      if (expected === 'either' && r.status !== 200 && r.status !== 400)
        throw new Error(`expected 200 or 400: ${describeReply(r)}`);
    }

    const documentCounts = async () =>
      Object.fromEntries(
        await Promise.all(
          Object.entries(t.db.collections).map(async ([name, c]) => [
            name,
            await c.countDocuments(),
          ]),
        ),
      );

    it(
      'unsigned, forged, tampered or V2-signed (V2 is off) well-formed bodies: 403 INVALID_SIGNATURE, nothing stored',
      async () => {
        const countsBefore = await documentCounts();
        const jsonBody = fc.oneof(
          callbackParams.map((e) => toText(obj(e.map(([k, v]): [string, Json] => [k, str(v)])))),
          fc.array(fc.tuple(webhookKey, nestedJson), { maxLength: 6 }).map((e) => toText(obj(e))),
          nestedJson.map(toText).filter((s) => s.startsWith('{') || s.startsWith('[')),
        );
        const formBody = callbackParams.map((e) =>
          formText(e.filter(([k]) => k !== '' && !k.startsWith('['))),
        );
        const body = fc.oneof(
          jsonBody.map((text) => ({ text, type: 'application/json' })),
          formBody.map((text) => ({ text, type: 'application/x-www-form-urlencoded' })),
        );
        const printable = fc.string({
          unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
          maxLength: 120,
        });
        type Sig = 'none' | 'garbage' | 'wrong-token' | 'tampered' | 'v2' | 'empty-nonce';
        await fc.assert(
          fc.asyncProperty(
            path,
            body,
            fc.constantFrom<Sig>('none', 'garbage', 'wrong-token', 'tampered', 'v2', 'empty-nonce'),
            printable,
            async (p, { text, type }, sig, junk) => {
              const url = t.baseUrl + p;
              const n = nonce();
              const signedParams = { TamperCheck: n }; // never what the body carries
              const v3 = (token: string, prm: Record<string, string>, nn = n) =>
                computeV3Signature({
                  method: 'POST',
                  url,
                  params: prm,
                  nonce: nn,
                  authToken: token,
                });
              const headers: Record<string, string> = { 'Content-Type': type };
              if (sig === 'garbage')
                Object.assign(headers, {
                  'X-Plivo-Signature-V3': junk,
                  'X-Plivo-Signature-V3-Nonce': junk,
                });
              if (sig === 'wrong-token')
                Object.assign(headers, {
                  'X-Plivo-Signature-V3': `${junk},${v3('not-the-token', {})}`,
                  'X-Plivo-Signature-V3-Nonce': n,
                });
              if (sig === 'tampered')
                // Signed for other params than the body carries.
                Object.assign(headers, {
                  'X-Plivo-Signature-V3': v3(t.authToken, signedParams),
                  'X-Plivo-Signature-V3-Nonce': n,
                });
              if (sig === 'v2')
                Object.assign(
                  headers,
                  signatureHeaders({ url, params: {}, token: t.authToken, nonce: n, v2: true }),
                );
              if (sig === 'empty-nonce')
                Object.assign(headers, {
                  'X-Plivo-Signature-V3': v3(t.authToken, {}, ''),
                  'X-Plivo-Signature-V3-Nonce': '',
                });
              const before = plivoCalls();
              const r = await send(t.baseUrl, p, text, headers);
              checkShape(r);
              if (Buffer.byteLength(text) > BODY_LIMIT_BYTES) {
                if (r.status !== 413) throw new Error(`expected 413: ${describeReply(r)}`);
              } else if (
                r.status !== 403 ||
                (r.body as { code?: unknown }).code !== 'INVALID_SIGNATURE'
              )
                throw new Error(`expected 403 INVALID_SIGNATURE: ${describeReply(r)}`);
              if (plivoCalls() !== before) throw new Error('a webhook made a Plivo request');
            },
          ),
          params(200, 7),
        );
        expect(await documentCounts()).toEqual(countsBefore);
      },
      PROPERTY_TIMEOUT_MS,
    );

    it(
      'signed like Plivo (postSigned, form and JSON): 200 or 400 as the README says, never 403 or 5xx',
      async () => {
        await fc.assert(
          fc.asyncProperty(path, callbackParams, fc.boolean(), async (p, entries, json) => {
            // Form bodies: '' keys are dropped and a leading '[' is unwrapped by the parser, and a
            // lone surrogate cannot be percent-encoded, so the signed params would not survive.
            const usable = json
              ? entries
              : entries.filter(
                  ([k, v]) => k !== '' && !k.startsWith('[') && !LONE_SURROGATE.test(k + v),
                );
            const record = withProto(usable);
            const hasProto = Object.prototype.hasOwnProperty.call(record, '__proto__');
            const before = plivoCalls();
            const res = await postSigned(t.baseUrl, p, record, { token: t.authToken, json });
            const r: Reply = {
              status: res.status,
              headers: res.headers,
              text: res.text,
              body: res.body,
            };
            // An own "__proto__" param is dropped by the body parser / signature guard before the
            // signature is checked, so such a request cannot verify: 403 is the known outcome.
            if (hasProto && r.status === 403) return checkShape(r);
            checkWebhook(r, judgeCallback(p, record), plivoCalls() - before);
          }),
          params(300, 8),
        );
      },
      PROPERTY_TIMEOUT_MS,
    );

    it(
      'signed JSON with typed, nested and deeply nested (up to 20 000 levels) values: 200 or 400, never 403 or 5xx',
      async () => {
        const deepValue = fc
          .tuple(fc.integer({ min: 100, max: 20_000 }), fc.boolean())
          .map(([depth, arrays]) =>
            lit(
              arrays
                ? '['.repeat(depth) + ']'.repeat(depth)
                : '{"a":'.repeat(depth) + 'null' + '}'.repeat(depth),
            ),
          );
        const typedEntries = fc
          .tuple(
            callbackParams.map((e) => e.map(([k, v]): [string, Json] => [k, str(v)])),
            fc.array(fc.tuple(webhookKey, fc.oneof(nestedJson, fieldValue)), { maxLength: 5 }),
            rarely(fc.tuple(webhookKey, deepValue), 4),
          )
          .map(([known, extra, deep]) => [...known, ...extra, ...(deep ? [deep] : [])]);
        await fc.assert(
          fc.asyncProperty(path, typedEntries, async (p, entries) => {
            const text = toText(obj(entries));
            const body = JSON.parse(text) as Record<string, unknown>;
            // What the guard signs and the controller reads: strings, numbers and booleans as
            // strings; arrays of strings are signed but not read.
            const signed: Record<string, string | string[]> = {};
            const read: Record<string, string> = {};
            for (const [k, v] of Object.entries(body)) {
              if (k === '__proto__') continue;
              if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
                signed[k] = read[k] = String(v);
              else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) signed[k] = v;
            }
            const hasProto = Object.prototype.hasOwnProperty.call(body, '__proto__');
            const n = nonce();
            const headers = {
              'Content-Type': 'application/json',
              'X-Plivo-Signature-V3': computeV3Signature({
                method: 'POST',
                url: t.baseUrl + p,
                params: signed,
                nonce: n,
                authToken: t.authToken,
              }),
              'X-Plivo-Signature-V3-Nonce': n,
            };
            const before = plivoCalls();
            const r = await send(t.baseUrl, p, text, headers);
            if (Buffer.byteLength(text) > BODY_LIMIT_BYTES) {
              checkShape(r);
              if (r.status !== 413) throw new Error(`expected 413: ${describeReply(r)}`);
              return;
            }
            if (hasProto && r.status === 403) return checkShape(r);
            checkWebhook(r, judgeCallback(p, read), plivoCalls() - before);
          }),
          params(150, 9),
        );
      },
      PROPERTY_TIMEOUT_MS,
    );

    it(
      'malformed, oversized or wrongly typed raw bodies, signed or not: a 4xx, never 5xx',
      async () => {
        const TYPES = [
          undefined,
          'application/json',
          'application/x-www-form-urlencoded',
          'text/plain',
          'application/xml',
          'multipart/form-data; boundary=b',
          'application/json; charset=bogus',
          'application/x-www-form-urlencoded; charset=koi8-r',
          'application/json; charset=utf-16',
        ];
        const rawBody = fc.oneof(
          fc.constantFrom(
            '{',
            '{"MessageUUID":',
            '[',
            'MessageUUID=%ZZ&Status=%',
            '=&=&&=',
            '%',
            '\u0000',
          ),
          fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
          hostileString,
          fc
            .integer({ min: 1, max: 1500 })
            .map((n) => Array.from({ length: n }, (_, i) => `k${i}=v`).join('&')),
          fc
            .integer({ min: BODY_LIMIT_BYTES + 1, max: 200 * 1024 })
            .map((n) => `{"Text":"${'x'.repeat(n)}"}`),
        );
        await fc.assert(
          fc.asyncProperty(
            path,
            fc.constantFrom(...TYPES),
            rawBody,
            fc.constantFrom('unsigned', 'signed-empty', 'garbage'),
            async (p, type, body, sig) => {
              const n = nonce();
              const headers: Record<string, string> = {};
              if (type) headers['Content-Type'] = type;
              if (sig === 'signed-empty')
                // Signed over no params: right for a body the server does not read at all.
                Object.assign(
                  headers,
                  signatureHeaders({
                    url: t.baseUrl + p,
                    params: {},
                    token: t.authToken,
                    nonce: n,
                  }),
                );
              if (sig === 'garbage')
                Object.assign(headers, {
                  'X-Plivo-Signature-V3': 'AAAA,,,=',
                  'X-Plivo-Signature-V3-Nonce': '0',
                });
              const before = plivoCalls();
              const r = await send(t.baseUrl, p, body, headers);
              checkShape(r);
              if (plivoCalls() !== before) throw new Error('a webhook made a Plivo request');
              if (r.status >= 500 || (r.status >= 200 && r.status < 400 && sig !== 'signed-empty'))
                throw new Error(`expected a 4xx: ${describeReply(r)}`);
            },
          ),
          params(150, 10),
        );
      },
      PROPERTY_TIMEOUT_MS,
    );
  });

  describe('POST /send-mms', () => {
    const JSON_TYPES = ['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON'];
    const FORM_TYPES = [
      'application/x-www-form-urlencoded',
      'application/x-www-form-urlencoded; charset=UTF-8',
    ];

    it(
      'JSON bodies of the DTO fields mixed with garbage: never 5xx, 202 only for valid bodies, no Plivo call otherwise',
      async () => {
        const wholeBody = fc.oneof(
          nestedJson,
          fc
            .constantFrom(
              'null',
              '[]',
              '""',
              '0',
              '{}',
              '{"a":',
              '{"destinationNumber":"+1',
              '[{}]',
            )
            .map(lit),
        );
        const seen = { accepted: 0, refused: 0 };
        await fc.assert(
          fc.asyncProperty(
            validBase,
            mutations(plainKey, fieldValue),
            rarely(wholeBody, 12),
            fc.constantFrom(...JSON_TYPES),
            async (base, muts, whole, contentType) => {
              const entries = applyMutations(
                base.map(([k, v]): [string, Json] => [k, asJson(v)]),
                muts,
              );
              const text = whole ? toText(whole) : toText(obj(entries));
              let parsed: unknown;
              try {
                parsed = JSON.parse(text);
              } catch {
                parsed = undefined; // malformed: must be a 400
              }
              const tooLarge = Buffer.byteLength(text) > BODY_LIMIT_BYTES;
              const r = await sendMms(
                text,
                { 'Content-Type': contentType },
                judgeSend(parsed, false),
                tooLarge,
              );
              seen[r.status === 202 ? 'accepted' : 'refused']++;
            },
          ),
          params(250, 1),
        );
        // The generator reaches both sides of the contract.
        expect(seen.accepted).toBeGreaterThan(0);
        expect(seen.refused).toBeGreaterThan(0);
      },
      PROPERTY_TIMEOUT_MS,
    );

    it(
      'form-urlencoded bodies (repeated keys, odd unicode, huge values): never 5xx, 202 only for valid bodies',
      async () => {
        const formValue: fc.Arbitrary<string | string[]> = fc.oneof(
          { arbitrary: hostileString, weight: 4 },
          { arbitrary: fc.array(hostileString, { maxLength: 12 }), weight: 1 },
        );
        const seen = { accepted: 0, refused: 0 };
        await fc.assert(
          fc.asyncProperty(
            validBase,
            mutations(plainKey, formValue),
            fc.constantFrom(...FORM_TYPES),
            async (base, muts, contentType) => {
              const entries = asForm(applyMutations(base, muts));
              const text = formText(entries);
              const tooLarge = Buffer.byteLength(text) > BODY_LIMIT_BYTES;
              const verdict = judgeSend(formParsed(entries), true);
              const r = await sendMms(text, { 'Content-Type': contentType }, verdict, tooLarge);
              seen[r.status === 202 ? 'accepted' : 'refused']++;
            },
          ),
          params(150, 2),
        );
        expect(seen.accepted).toBeGreaterThan(0);
        expect(seen.refused).toBeGreaterThan(0);
      },
      PROPERTY_TIMEOUT_MS,
    );

    it(
      'wrong content types, bad charsets and encodings, malformed and oversized raw bodies: a 4xx (413 over 100 kB), never a Plivo call',
      async () => {
        const VALID_JSON = JSON.stringify({
          destinationNumber: VALID_NUMBERS[0],
          messageText: 'Hello',
          mediaUrl: VALID_URLS[0],
        });
        const VALID_FORM = formText([
          ['destinationNumber', VALID_NUMBERS[0]],
          ['messageText', 'Hello'],
          ['mediaUrl', VALID_URLS[0]],
        ]);
        // [content type, how the server reads it]. A valid body is only ever sent with a type
        // that cannot read it, so every one of these requests is invalid.
        const TYPES: Array<[string | undefined, 'json' | 'form' | 'none' | 'bad-charset']> = [
          [undefined, 'none'],
          ['text/plain', 'none'],
          ['text/plain; charset=utf-8', 'none'],
          ['application/xml', 'none'],
          ['text/xml', 'none'],
          ['multipart/form-data; boundary=XyZ', 'none'],
          ['multipart/form-data', 'none'],
          ['application/octet-stream', 'none'],
          ['application/vnd.api+json', 'none'],
          ['application/jsonp', 'none'],
          ['*/*', 'none'],
          [';;;', 'none'],
          ['application/json', 'json'],
          ['application/json; charset=utf-16', 'json'],
          ['application/json; charset=bogus', 'bad-charset'],
          ['application/json; charset=latin1', 'bad-charset'],
          ['application/json; charset="utf-8', 'json'],
          ['application/x-www-form-urlencoded', 'form'],
          ['application/x-www-form-urlencoded; charset=koi8-r', 'bad-charset'],
          ['application/x-www-form-urlencoded; charset=utf-16', 'bad-charset'],
        ];
        const multipart = fc
          .tuple(hostileString, fc.constantFrom('XyZ', 'other', ''))
          .map(
            ([junk, boundary]) =>
              `--${boundary}\r\nContent-Disposition: form-data; name="destinationNumber"\r\n\r\n${VALID_NUMBERS[0]}\r\n--${boundary}\r\n${junk}\r\n--${boundary}--`,
          );
        const bodies = fc.oneof(
          fc.constantFrom(
            VALID_JSON,
            VALID_FORM,
            `<?xml version="1.0"?><sms><destinationNumber>${VALID_NUMBERS[0]}</destinationNumber></sms>`,
          ),
          fc.nat(VALID_JSON.length - 1).map((n) => VALID_JSON.slice(0, n)), // truncated JSON
          fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
          hostileString,
          multipart,
          fc
            .integer({ min: BODY_LIMIT_BYTES + 1, max: 200 * 1024 })
            .map((n) => `{"messageText":"${'x'.repeat(n)}"}`),
          fc
            .integer({ min: BODY_LIMIT_BYTES + 1, max: 200 * 1024 })
            .map((n) => `messageText=${'x'.repeat(n)}`),
        );
        const encodings = rarely(
          fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'xyz', 'gzip, gzip'),
          5,
        );
        await fc.assert(
          fc.asyncProperty(
            fc.constantFrom(...TYPES),
            bodies,
            encodings,
            async ([contentType, reads], body, encoding) => {
              // Keep the two valid bodies away from the one type that would read them.
              fc.pre(
                !(
                  body === VALID_JSON &&
                  reads === 'json' &&
                  !contentType?.includes('utf-16') &&
                  !encoding
                ),
              );
              fc.pre(!(body === VALID_FORM && reads === 'form' && !encoding));
              const headers: Record<string, string> = {};
              if (contentType !== undefined) headers['Content-Type'] = contentType;
              if (encoding) headers['Content-Encoding'] = encoding;
              const tooLarge =
                (reads === 'json' || reads === 'form') &&
                (!encoding || encoding === 'identity') &&
                Buffer.byteLength(body) > BODY_LIMIT_BYTES;
              await sendMms(body, headers, 'invalid', tooLarge);
            },
          ),
          params(200, 3),
        );
      },
      PROPERTY_TIMEOUT_MS,
    );

    it(
      'deeply nested JSON (100 to 20 000 levels, in a field, an unknown field or the whole body): never 5xx, never a Plivo call',
      async () => {
        const deep = fc
          .record({
            depth: fc.integer({ min: 100, max: 20_000 }),
            shape: fc.constantFrom('array', 'object', 'mixed'),
            where: fc.constantFrom(
              'destinationNumber',
              'mediaUrls',
              'messageText',
              'extra',
              'whole',
            ),
          })
          .map(({ depth, shape, where }) => {
            const open = (i: number) =>
              shape === 'array' || (shape === 'mixed' && i % 2 === 0) ? ['[', ']'] : ['{"a":', '}'];
            let head = '';
            let tail = '';
            for (let i = 0; i < depth; i++) {
              const [o, c] = open(i);
              head += o;
              tail = c + tail;
            }
            const nested = `${head}"${VALID_URLS[0]}"${tail}`;
            const valid = `"destinationNumber":"${VALID_NUMBERS[0]}","messageText":"hi","mediaUrl":"${VALID_URLS[1]}"`;
            const text =
              where === 'whole'
                ? nested
                : where === 'extra'
                  ? `{${valid},"extra":${nested}}`
                  : `{${valid},${JSON.stringify(where)}:${nested}}`;
            return { depth, shape, where, text };
          });
        await fc.assert(
          fc.asyncProperty(deep, async ({ text }) => {
            await sendMms(text, { 'Content-Type': 'application/json' }, 'invalid');
          }),
          params(100, 4),
        );
      },
      PROPERTY_TIMEOUT_MS,
    );

    /** Pollution payloads: own __proto__ keys, constructor.prototype, at any depth. */
    const pollutionPayload: fc.Arbitrary<Json> = fc
      .tuple(fc.constantFrom(...POLLUTION_MARKERS), scalarJson)
      .chain(([marker, value]) =>
        fc.constantFrom<Json>(
          obj([[marker, value]]),
          obj([['prototype', obj([[marker, value]])]]),
          obj([['__proto__', obj([[marker, value]])]]),
          obj([['constructor', obj([['prototype', obj([[marker, value]])]])]]),
        ),
      );
    const protoEntry: fc.Arbitrary<[string, Json]> = fc.tuple(
      fc.constantFrom(...PROTO_KEYS),
      fc.oneof(pollutionPayload, fieldValue),
    );
    const FORM_POLLUTION_KEYS = [
      '__proto__',
      '__proto__[polluted]',
      'constructor',
      'constructor[prototype][polluted]',
      'prototype',
      '__proto__.polluted',
      'mediaUrls[__proto__]',
      '[__proto__]',
      '[constructor]',
      '[prototype][polluted]',
    ];

    it(
      '__proto__ / constructor / prototype keys anywhere (JSON and form): never 5xx, no pollution, no Plivo call unless 202',
      async () => {
        const jsonCase = fc
          .tuple(
            validBase,
            fc.array(protoEntry, { minLength: 1, maxLength: 3 }),
            fc.nat(4),
            pollutionPayload,
          )
          .map(([base, protos, at, payload]) => {
            const entries = base.map(([k, v]): [string, Json] => [k, asJson(v)]);
            entries.splice(Math.min(at, entries.length), 0, ...protos);
            // …and one more hidden inside a field's value.
            const i = at % entries.length;
            entries[i] = [entries[i][0], { t: 'arr', items: [payload, entries[i][1]] }];
            return { text: toText(obj(at % 2 ? entries : entries.slice(0, -1))), form: false };
          });
        const formCase = fc
          .tuple(
            validBase,
            fc.array(
              fc.tuple(
                fc.constantFrom(...FORM_POLLUTION_KEYS),
                fc.constantFrom(...POLLUTION_MARKERS, 'x', '1'),
              ),
              { minLength: 1, maxLength: 4 },
            ),
          )
          .map(([base, protos]) => ({ text: formText([...protos, ...asForm(base)]), form: true }));
        await fc.assert(
          fc.asyncProperty(fc.oneof(jsonCase, formCase), async ({ text, form }) => {
            const contentType = form ? 'application/x-www-form-urlencoded' : 'application/json';
            await sendMms(text, { 'Content-Type': contentType }, 'unknown');
            assertNotPolluted(snapshot);
          }),
          params(120, 5),
        );
      },
      PROPERTY_TIMEOUT_MS,
    );

    /** The names that are dropped instead of refused, by the layer that drops them. */
    const SHADOW_GROUPS: Array<[string, string[]]> = [
      ["__proto__ (dropped by the form parser and by Nest's stripProtoKeys)", ['__proto__']],
      ['constructor / prototype (stripProtoKeys, class-transformer)', ['constructor', 'prototype']],
      ["media (the DTO's getter)", ['media']],
      [
        'an Object.prototype member (class-transformer)',
        SHADOW_KEYS.filter((k) => !PROTO_KEYS.includes(k) && k !== 'media'),
      ],
    ];

    it.each(SHADOW_GROUPS)(
      'an unknown field named %s is refused like any unknown field (README: "Unknown fields are refused"): 400, no Plivo call',
      async (_label, names) => {
        const shadowKey = fc.constantFrom(...names);
        const jsonCase = fc
          .tuple(
            validBase,
            fc.array(fc.tuple(shadowKey, fc.oneof(fieldValue, pollutionPayload)), {
              minLength: 1,
              maxLength: 2,
            }),
          )
          .map(([base, extra]) => ({
            text: toText(obj([...base.map(([k, v]): [string, Json] => [k, asJson(v)]), ...extra])),
            form: false,
          }));
        const formCase = fc
          .tuple(
            validBase,
            fc.array(fc.tuple(shadowKey, hostileString), { minLength: 1, maxLength: 2 }),
          )
          .map(([base, extra]) => ({ text: formText([...asForm(base), ...extra]), form: true }));
        await fc.assert(
          fc.asyncProperty(fc.oneof(jsonCase, formCase), async ({ text, form }) => {
            const contentType = form ? 'application/x-www-form-urlencoded' : 'application/json';
            const r = await sendMms(text, { 'Content-Type': contentType }, 'invalid');
            if (r.status !== 400 && r.status !== 413) {
              throw new Error(`expected 400 (413 when over the body limit): ${describeReply(r)}`);
            }
          }),
          params(50, 6),
        );
      },
      PROPERTY_TIMEOUT_MS,
    );
  });

  describe('afterwards', () => {
    it('no prototype was polluted, and the app still answers /health 200 and a valid send 202', async () => {
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(() => assertNotPolluted(snapshot)).not.toThrow();
      expect(prototypeSnapshot()).toEqual(snapshot);

      const health = await fetch(`${t.baseUrl}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok' });

      const before = plivoCalls();
      const r = await send(
        t.baseUrl,
        '/send-mms',
        JSON.stringify({
          destinationNumber: VALID_NUMBERS[0],
          messageText: 'still alive',
          mediaUrl: VALID_URLS[0],
        }),
        { 'Content-Type': 'application/json' },
      );
      expect(r.status).toBe(202);
      expect(plivoCalls()).toBe(before + 1);
    });
  });
});
