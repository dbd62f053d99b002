/**
 * Plivo's V3 and V2 webhook signatures, cross-checked against the SDK's own implementation.
 * Long on purpose: the URL, query and parameter encodings that change the string to sign are
 * each one case, and together they are the contract with Plivo.
 */
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import {
  computeV2Signature,
  computeV3Signature,
  SignedParams,
  verifyV2Signature,
  verifyV3Signature,
} from './plivo-signature';

type V3Args = [
  method: string,
  uri: string,
  nonce: string,
  authToken: string,
  signature: string,
  params: Record<string, string | string[]>,
];

/**
 * The official SDK as a test oracle, run in a separate plain Node process. Inside jest's vm
 * sandbox it gives wrong answers for repeated query keys: querystring.parse (a core module, so
 * from the outer realm) returns arrays that fail the SDK's `instanceof Array`, and it then signs
 * "1,2" instead of two values. Batched because each spawn costs tens of milliseconds.
 */
function sdkValidateV3(cases: V3Args[]): boolean[] {
  const script = `const p = require(${JSON.stringify(require.resolve('plivo'))});
    let d = ''; process.stdin.on('data', (c) => (d += c)).on('end', () =>
      process.stdout.write(JSON.stringify(JSON.parse(d).map((a) => p.validateV3Signature(...a)))));`;
  const out = execFileSync(process.execPath, ['-e', script], { input: JSON.stringify(cases) });
  return JSON.parse(out.toString('utf8')) as boolean[];
}
const sdkValidateV3One = (...args: V3Args) => sdkValidateV3([args])[0];

function sdkValidateV2(uri: string, nonce: string, signature: string, authToken: string): boolean {
  const script = `const p = require(${JSON.stringify(require.resolve('plivo'))});
    process.stdout.write(JSON.stringify(p.validateSignature(...JSON.parse(process.argv[1]))));`;
  const out = execFileSync(process.execPath, [
    '-e',
    script,
    JSON.stringify([uri, nonce, signature, authToken]),
  ]);
  return JSON.parse(out.toString('utf8')) as boolean;
}

const hmac = (key: string, s: string) => createHmac('sha256', key).update(s).digest('base64');

describe('Plivo V3 signature', () => {
  describe('example POST vector (validated with plivo-node 4.79 validateV3Signature)', () => {
    const vector = {
      method: 'POST' as const,
      url: 'https://example.com/plivo/status',
      params: {
        MessageUUID: 'abc',
        Status: 'delivered',
        From: '14155550100',
        To: '14155550111',
        ErrorCode: '000',
      },
      nonce: '12345678901234567890',
      authToken: 'test_token_123',
    };
    const expected = '/KUUi0RK1fiuK5UIJc1c9A9NedLl1kCN7ZdmMMX/s8E=';

    it('computes the published signature from the published string-to-sign', () => {
      const stringToSign =
        'https://example.com/plivo/status?ErrorCode000From14155550100MessageUUIDabcStatusdeliveredTo14155550111.12345678901234567890';
      expect(hmac(vector.authToken, stringToSign)).toBe(expected);
      expect(computeV3Signature(vector)).toBe(expected);
    });

    it('verifies, and the SDK agrees', () => {
      const { authToken, ...rest } = vector;
      expect(verifyV3Signature({ ...rest, header: expected, authTokens: [authToken] })).toBe(true);
      expect(
        sdkValidateV3One('POST', vector.url, vector.nonce, authToken, expected, {
          ...vector.params,
        }),
      ).toBe(true);
    });
  });

  describe('official plivo-go vectors (utils_test.go TestValidateSignatureV3Pass1-4)', () => {
    const authToken = 'Y2Q2ZDgxZmY5YWRiOTI5YmQ1Njg0MTAxZWIyOTc4';
    const nonce = '31627761595286130198';
    const params = {
      Direction: 'outbound',
      From: '19792014278',
      ALegUUID: '3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36',
      CallStatus: 'in-progress',
      BillRate: '0.002',
      ParentAuthID: 'MANWVLYTK4ZWU1YTY4QA',
      To: 'sip:PlivoSignature382029104058171078704104@phone-qa.voice.plivodev.com',
      ALegRequestUUID: '3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36',
      CallUUID: '3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36',
      RequestUUID: '3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36',
      'SIP-H-To': '<sip:PlivoSignature382029104058171078704104@52.9.11.55;transport=udp>;tag=1',
      SessionStart: '2020-04-08 11:34:33.238707',
      Event: 'StartApp',
    };
    const base = 'https://plivobin.non-prod.plivops.com/api/v1/validate_signature03.xml';
    it.each([
      ['POST', `${base}/?a=b&c=d`, 'k7Pusd4OxCIjR5IfA9iedDNu/h/gbdYqdzG/MiYtd1c='],
      ['GET', `${base}/?a=b&c=d`, 'UBq8jAtd32wR8EK9VgxbBn4n5rpI/l1H9iN4WfSEHFQ='],
      ['POST', base, 'iAjE5QqI37mbkYe4w3jTMudqEzbDufdqi7sYwTu64e0='],
      ['GET', base, 'i/MQsaQSAd6fiKhOh2qeeeLHZ9faldADSb3/7+Akfbc='],
    ] as const)('%s %s', (method, url, signature) => {
      expect(computeV3Signature({ method, url, params, nonce, authToken })).toBe(signature);
      expect(
        verifyV3Signature({
          method,
          url,
          params,
          nonce,
          header: signature,
          authTokens: [authToken],
        }),
      ).toBe(true);
      expect(sdkValidateV3One(method, url, nonce, authToken, signature, { ...params })).toBe(true);
    });
  });

  describe('verifyV3Signature', () => {
    const url = 'https://gw.example.com/mms/webhooks/status/?tenant=t1';
    const params: SignedParams = { MessageUUID: 'm-1', Status: 'delivered', Units: ['2', '1'] };
    const nonce = '98765432109876543210';
    const token = 'current-token';
    const sig = computeV3Signature({ method: 'POST', url, params, nonce, authToken: token });
    const ok = { method: 'POST', url, params, nonce, header: sig, authTokens: [token] };

    it('accepts the valid signature', () => {
      expect(verifyV3Signature(ok)).toBe(true);
    });

    it('accepts a header with several comma-separated signatures when one is valid', () => {
      const other = computeV3Signature({ method: 'POST', url, params, nonce, authToken: 'x' });
      expect(verifyV3Signature({ ...ok, header: `${other},${sig}` })).toBe(true);
      expect(verifyV3Signature({ ...ok, header: `${sig}, ${other}` })).toBe(true);
      expect(verifyV3Signature({ ...ok, header: `${other},${other}` })).toBe(false);
    });

    it('supports token rotation: any configured token may match', () => {
      expect(verifyV3Signature({ ...ok, authTokens: ['old-token', token] })).toBe(true);
      expect(verifyV3Signature({ ...ok, authTokens: ['old-token'] })).toBe(false);
      expect(verifyV3Signature({ ...ok, authTokens: [] })).toBe(false);
      expect(verifyV3Signature({ ...ok, authTokens: [''] })).toBe(false);
    });

    it('does not mutate the caller’s multi-valued params', () => {
      expect(params.Units).toEqual(['2', '1']);
    });

    it.each<[string, Partial<typeof ok>]>([
      ['tampered param', { params: { ...params, Status: 'failed' } }],
      ['extra param', { params: { ...params, Extra: '' } }],
      ['dropped param', { params: { MessageUUID: 'm-1', Status: 'delivered' } }],
      ['changed multi-value', { params: { ...params, Units: ['2', '3'] } }],
      ['other host', { url: 'https://evil.example.com/mms/webhooks/status/?tenant=t1' }],
      [
        'other path (no trailing slash)',
        { url: 'https://gw.example.com/mms/webhooks/status?tenant=t1' },
      ],
      ['other query', { url: 'https://gw.example.com/mms/webhooks/status/?tenant=t2' }],
      ['other scheme', { url: 'http://gw.example.com/mms/webhooks/status/?tenant=t1' }],
      ['other nonce', { nonce: '98765432109876543211' }],
      ['other method', { method: 'GET' }],
      ['other token', { authTokens: ['another-token'] }],
      ['missing header', { header: undefined }],
      ['empty header', { header: '' }],
      ['missing nonce', { nonce: undefined }],
      ['empty nonce', { nonce: '' }],
      ['garbage header', { header: 'not a signature,,,\u0000' }],
      [
        'signature with a flipped char',
        { header: sig.slice(0, -2) + (sig.at(-2) === 'A' ? 'B' : 'A') + '=' },
      ],
      ['signature truncated', { header: sig.slice(0, -1) }],
      ['unsupported method PUT', { method: 'PUT' }],
      ['lower-case method', { method: 'post' }],
      ['relative URL', { url: '/mms/webhooks/status/?tenant=t1' }],
      ['garbage URL', { url: '::::' }],
    ])('rejects %s', (_name, change) => {
      expect(verifyV3Signature({ ...ok, ...change })).toBe(false);
    });

    it('never throws on hostile input', () => {
      const hostile = JSON.parse('{"__proto__":["x"],"constructor":"y","toString":["z"]}');
      expect(() => verifyV3Signature({ ...ok, params: hostile })).not.toThrow();
      expect(
        verifyV3Signature({
          ...ok,
          url: undefined as unknown as string,
          params: undefined as unknown as SignedParams,
          authTokens: [undefined as unknown as string],
        }),
      ).toBe(false);
    });

    it('ignores the order of multi-valued params (they are sorted before signing)', () => {
      expect(verifyV3Signature({ ...ok, params: { ...params, Units: ['1', '2'] } })).toBe(true);
    });

    it('treats undefined params as absent', () => {
      expect(verifyV3Signature({ ...ok, params: { ...params, Missing: undefined } })).toBe(true);
    });
  });

  describe('string-to-sign edge cases', () => {
    const nonce = '1';
    const authToken = 't';
    const sign = (method: 'GET' | 'POST', url: string, params: SignedParams = {}) =>
      computeV3Signature({ method, url, params, nonce, authToken });

    it('POST without query or params signs the bare URL', () => {
      expect(sign('POST', 'https://h.example/p')).toBe(hmac(authToken, 'https://h.example/p.1'));
    });

    it('POST with query and params: sorted k=v query, ".", then sorted kv body', () => {
      expect(sign('POST', 'https://h.example/p/?z=1&a=2&a=1', { b: '2', a: ['y', 'x'] })).toBe(
        hmac(authToken, 'https://h.example/p/?a=1&a=2&z=1.axayb2.1'),
      );
    });

    it('GET merges decoded URI query with params and sorts values across both', () => {
      expect(sign('GET', 'https://h.example:8443/p?b=%20x&a=2+3', { a: '1' })).toBe(
        hmac(authToken, 'https://h.example:8443/p?a=1&a=2 3&b= x.1'),
      );
    });

    it('keeps scheme/host case and default ports verbatim, drops userinfo and fragment', () => {
      expect(sign('GET', 'HTTPS://u:pw@H.Example:443/P/#frag')).toBe(
        hmac(authToken, 'HTTPS://H.Example:443/P/.1'),
      );
    });

    it('deliberately diverges from the SDK for raw non-ASCII URLs (SDK double-encodes UTF-8)', () => {
      expect(sign('POST', 'https://h.example/é')).toBe(hmac(authToken, 'https://h.example/é.1'));
      // Percent-encoded, as on the wire, both agree.
      const encoded = 'https://h.example/%C3%A9?x=%C3%A9';
      expect(sdkValidateV3One('POST', encoded, nonce, authToken, sign('POST', encoded), {})).toBe(
        true,
      );
    });

    it('deliberately diverges from the SDK for "@" in the query (SDK signs the wrong host)', () => {
      const url = 'https://h.example/p?to=a@b';
      const ours = sign('GET', url);
      expect(ours).toBe(hmac(authToken, 'https://h.example/p?to=a@b.1'));
      expect(sdkValidateV3One('GET', url, nonce, authToken, ours, {})).toBe(false);
    });
  });

  describe('agrees with the SDK (property-style, seeded)', () => {
    // Small deterministic PRNG so a failure is reproducible.
    let seed = 0x5eed1234;
    const rnd = (n: number) => {
      seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
      return seed % n;
    };
    const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)];
    const str = (alphabet: readonly string[], max: number) =>
      Array.from({ length: rnd(max + 1) }, () => pick(alphabet)).join('');

    // URL chars: ASCII only and no '@' (see the divergence tests) — Plivo calls URLs in wire form.
    const urlChars = 'a b Z 0 9 - _ . ~ + ? %20 %2B %26 %3D %C3%A9 %zz ; : ! $ ( *'.split(' ');
    const keyChars = ['a', 'b', 'c', 'A', 'B', '1', '-', '_', '.'];
    const valueChars = [...keyChars, ...'& = + % ? # @ . , é → 😀'.split(' '), ' ', '\n'];

    const randomUrl = () => {
      const host = pick(['h.example', 'gw.example.com:8443', 'API.Example.COM', 'localhost:3000']);
      const path =
        Array.from({ length: rnd(4) }, () => '/' + str(urlChars, 6)).join('') +
        pick(['', '/', '/v.xml', '/v.xml/']);
      const queryPairs = Array.from({ length: rnd(4) }, () => {
        const k = str(urlChars, 3);
        return pick([`${k}=${str(urlChars, 5)}`, k, `${k}=`]);
      });
      const query =
        queryPairs.length === 0 ? pick(['', '?']) : '?' + queryPairs.join('&') + pick(['', '&']);
      return `${pick(['https', 'http'])}://${host}${path}${query}${pick(['', '', '#frag'])}`;
    };

    const randomParams = (): Record<string, string | string[]> => {
      const out: Record<string, string | string[]> = {};
      for (let i = rnd(6); i > 0; i--) {
        const k = str(keyChars, 3);
        out[k] =
          rnd(3) === 0
            ? Array.from({ length: rnd(4) }, () => str(valueChars, 6))
            : str(valueChars, 8);
      }
      return out;
    };

    it.each(['GET', 'POST'] as const)('%s: 500 random URLs/params', (method) => {
      const good: V3Args[] = [];
      const bad: V3Args[] = [];
      for (let i = 0; i < 500; i++) {
        const url = randomUrl();
        const params = rnd(4) === 0 ? {} : randomParams();
        const nonce = String(rnd(1e9));
        const authToken = str(keyChars, 20) || 'tok';
        const sig = computeV3Signature({ method, url, params, nonce, authToken });
        good.push([method, url, nonce, authToken, sig, params]);
        // Keeps the oracle honest: it must reject a signature made over different params.
        const changed = { ...params, zz: 'x' };
        const wrong = computeV3Signature({ method, url, params: changed, nonce, authToken });
        bad.push([method, url, nonce, authToken, wrong, params]);
      }
      // Hand-picked shapes the random walk might under-sample.
      const fixed: Array<[string, Record<string, string | string[]>]> = [
        ['https://h.example/p?a=2&a=1&b', {}],
        ['https://h.example/p/?a=1', { a: ['3', '0'], b: '' }],
        ['https://h.example/p?', { c: [] }],
        ['https://h.example/p?&', {}],
        ['https://h.example:443/?x=1+2&y=%2B%26%3D&z=%E2%82%AC', { x: '1 2' }],
        ['https://h.example', { k: 'v' }],
        ['https://h.example?only=query', {}],
        ['https://h.example/p??a=1&?b=2', { a: '0' }],
        ['https://h.example:/p', {}],
      ];
      for (const [url, params] of fixed) {
        const sig = computeV3Signature({ method, url, params, nonce: '42', authToken: 'tok' });
        good.push([method, url, '42', 'tok', sig, params]);
      }
      const goodResults = sdkValidateV3(good);
      expect(good.filter((_, i) => !goodResults[i]).slice(0, 3)).toEqual([]);
      expect(sdkValidateV3(bad).every((r) => r === false)).toBe(true);
    });

    it('covers URLs with and without query strings', () => {
      const urls = Array.from({ length: 200 }, randomUrl);
      expect(urls.some((u) => /\?[^#]/.test(u))).toBe(true);
      expect(urls.some((u) => !u.includes('?'))).toBe(true);
    });
  });
});

describe('Plivo V2 signature', () => {
  const vector = { url: 'https://answer.url', nonce: '12345', authToken: 'my_auth_token' };
  const expected = 'ehV3IKhLysWBxC1sy8INm0qGoQYdYsHwuoKjsX7FsXc=';

  it('matches the published vector', () => {
    expect(computeV2Signature(vector)).toBe(expected);
    expect(sdkValidateV2(vector.url, vector.nonce, expected, vector.authToken)).toBe(true);
  });

  it('drops the query and fragment, keeps port and path', () => {
    const sig = computeV2Signature({
      url: 'https://h.example:8443/p/?a=b#f',
      nonce: 'n',
      authToken: 't',
    });
    expect(sig).toBe(hmac('t', 'https://h.example:8443/p/n'));
    expect(sdkValidateV2('https://h.example:8443/p/?a=b#f', 'n', sig, 't')).toBe(true);
  });

  it('verifies with any token and any comma-separated signature', () => {
    const base = { url: vector.url, nonce: vector.nonce };
    expect(
      verifyV2Signature({ ...base, header: expected, authTokens: ['old', 'my_auth_token'] }),
    ).toBe(true);
    expect(
      verifyV2Signature({ ...base, header: `bogus,${expected}`, authTokens: ['my_auth_token'] }),
    ).toBe(true);
  });

  it.each<[string, Partial<Parameters<typeof verifyV2Signature>[0]>]>([
    ['other token', { authTokens: ['my_auth_tokens'] }],
    ['other nonce', { nonce: '12346' }],
    ['other URL', { url: 'https://answer.url/x' }],
    ['missing header', { header: undefined }],
    ['missing nonce', { nonce: undefined }],
    ['garbage header', { header: '%%%' }],
    ['garbage URL', { url: 'nope' }],
  ])('rejects %s', (_name, change) => {
    expect(
      verifyV2Signature({
        url: vector.url,
        nonce: vector.nonce,
        header: expected,
        authTokens: ['my_auth_token'],
        ...change,
      }),
    ).toBe(false);
  });
});
