/**
 * One error contract (docs/errors.md): the OpenAPI document names, for every error response,
 * the codes it can carry, in the common error body with `code` required, and those codes are
 * exactly the README's table; over HTTP, the router's and the body's errors (404, 405, 415,
 * 400 malformed) carry their code and headers. The 401/403/413/429/503 answers are asserted
 * where their features are tested (production-readiness, hostile-input, webhooks, send-mms).
 */
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { ACCEPTED_MEDIA_TYPES } from '../../src/http/request-guards';
import { PLIVO_WEBHOOK_ROUTES } from '../../src/mms/plivo/webhook-routes';
import { signatureHeaders } from '../support/plivo-signing';
import { codesIn, readmeErrorCodes } from '../support/readme-error-codes';
import { createTestApp, TestApp } from '../support/test-app';

const KEY = 'error-contract-key-0123456789';
const AUTH = { 'X-API-Key': KEY };
const SEED = {
  destinationNumber: '+14157654321',
  messageText: 'Hello',
  mediaUrl: 'https://m.example.com/a.gif',
};
const STATUS_PATH = PLIVO_WEBHOOK_ROUTES.status;
const INBOUND_PATH = PLIVO_WEBHOOK_ROUTES.inbound;
const ERROR_FIELDS = ['statusCode', 'error', 'code', 'message', 'requestId'];

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** A raw request: any method, exact bytes, only the headers given (no default Content-Type). */
function call(
  baseUrl: string,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const length = body === undefined ? {} : { 'Content-Length': String(Buffer.byteLength(body)) };
    const req = http.request(
      baseUrl + path,
      { method, headers: { ...headers, ...length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: Record<string, unknown> = {};
          try {
            parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
          } catch {
            parsed = { unparsed: text.slice(0, 200) };
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The common error body, with this status and code, its requestId echoing X-Request-Id. */
function expectError(r: Reply, status: number, code: string): void {
  expect({ status: r.status, code: r.body.code }).toEqual({ status, code });
  expect(String(r.headers['content-type'])).toMatch(/^application\/json/);
  expect(Object.keys(r.body)).toEqual(expect.arrayContaining(ERROR_FIELDS));
  expect(r.body).toMatchObject({
    statusCode: status,
    error: http.STATUS_CODES[status],
    message: expect.any(String),
    requestId: r.headers['x-request-id'],
  });
}

type Schema = {
  $ref?: string;
  allOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  enum?: unknown[];
};
type Doc = {
  info: { description: string };
  components: { schemas: Record<string, Schema> };
  paths: Record<string, Record<string, Operation>>;
};
type Operation = {
  security?: unknown[];
  requestBody?: { content: Record<string, unknown> };
  responses: Record<
    string,
    {
      description: string;
      headers?: Record<string, { required?: boolean }>;
      content?: Record<string, { schema: Schema }>;
    }
  >;
};

/** allOf and $ref flattened: every property (later members refine earlier ones), every required. */
function flatten(
  doc: Doc,
  schema: Schema,
): { properties: Record<string, Schema>; required: string[] } {
  if (schema.$ref) return flatten(doc, doc.components.schemas[schema.$ref.split('/').pop()!]);
  const parts = (schema.allOf ?? []).map((s) => flatten(doc, s));
  const properties: Record<string, Schema> = {};
  for (const part of [...parts, { properties: schema.properties ?? {} }])
    for (const [name, prop] of Object.entries(part.properties))
      properties[name] = { ...properties[name], ...prop };
  return {
    properties,
    required: [...parts.flatMap((p) => p.required), ...(schema.required ?? [])],
  };
}

function operations(doc: Doc): Array<[string, Operation]> {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]): [string, Operation] => [
      `${method.toUpperCase()} ${path}`,
      op,
    ]),
  );
}

describe('one error contract (e2e)', () => {
  let t: TestApp;
  let doc: Doc;
  const readme = readmeErrorCodes();

  beforeAll(async () => {
    t = await createTestApp({ API_KEYS: KEY, THROTTLE_LIMIT: '100000' });
    doc = (await call(t.baseUrl, 'GET', '/docs-json')).body as unknown as Doc;
  });
  beforeEach(() => t.plivo.reset());
  afterAll(async () => t?.close());

  describe('the OpenAPI document and the README agree on every code', () => {
    it('every 4xx/5xx response is the error body with `code` required, and names its codes (in the description and as the enum of `code`), each in the README under that status', () => {
      let checked = 0;
      for (const [name, op] of operations(doc)) {
        for (const [status, response] of Object.entries(op.responses)) {
          if (Number(status) < 400) continue;
          const where = `${name} ${status}`;
          const schema = response.content?.['application/json']?.schema;
          expect({ where, schema: schema !== undefined }).toEqual({ where, schema: true });
          const { properties, required } = flatten(doc, schema!);
          expect({ where, required: ERROR_FIELDS.filter((f) => !required.includes(f)) }).toEqual({
            where,
            required: [],
          });
          const named = codesIn(response.description);
          expect({ where, named: named.length > 0 }).toEqual({ where, named: true });
          expect({ where, enum: properties.code.enum }).toEqual({ where, enum: named });
          expect({ where, statusCode: properties.statusCode.enum }).toEqual({
            where,
            statusCode: [Number(status)],
          });
          for (const code of named)
            expect({ where, code, readme: readme.get(code) }).toEqual({
              where,
              code,
              readme: Number(status),
            });
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(30);
    });

    it("every code in the README's table is documented by some route (NOT_FOUND and METHOD_NOT_ALLOWED, which answer for no route, by the document's description)", () => {
      const documented = new Set(
        operations(doc).flatMap(([, op]) =>
          Object.entries(op.responses)
            .filter(([status]) => Number(status) >= 400)
            .flatMap(([, r]) => codesIn(r.description)),
        ),
      );
      const general = codesIn(doc.info.description);
      expect(general.sort()).toEqual(['METHOD_NOT_ALLOWED', 'NOT_FOUND']);
      for (const code of general) documented.add(code);
      expect([...readme.keys()].filter((c) => !documented.has(c))).toEqual([]);
    });

    it('every route that takes a body accepts only JSON and form bodies and documents 400, 413 and 415; every rate-limited route documents 429 with its headers', () => {
      const RATE_HEADERS = [
        'Retry-After',
        'X-RateLimit-Limit',
        'X-RateLimit-Remaining',
        'X-RateLimit-Reset',
      ];
      for (const [name, op] of operations(doc)) {
        const limited = op.security !== undefined || name.includes(PLIVO_WEBHOOK_ROUTES.prefix);
        if (op.requestBody) {
          expect({ name, types: Object.keys(op.requestBody.content).sort() }).toEqual({
            name,
            types: [...ACCEPTED_MEDIA_TYPES].sort(),
          });
          for (const status of ['400', '413', '415'])
            expect({ name, status, documented: status in op.responses }).toEqual({
              name,
              status,
              documented: true,
            });
        }
        if (limited) {
          const headers = op.responses['429']?.headers ?? {};
          expect({ name, headers: RATE_HEADERS.filter((h) => !headers[h]?.required) }).toEqual({
            name,
            headers: [],
          });
        }
      }
    });
  });

  describe('over HTTP', () => {
    it('an unknown path is 404 NOT_FOUND, whatever the method or body', async () => {
      expectError(await call(t.baseUrl, 'GET', '/nope'), 404, 'NOT_FOUND');
      expectError(await call(t.baseUrl, 'GET', '/messages/a/b', undefined, AUTH), 404, 'NOT_FOUND');
      // No route takes this body, so its media type is not judged.
      expectError(
        await call(t.baseUrl, 'POST', '/nope', 'hi', { 'Content-Type': 'text/plain' }),
        404,
        'NOT_FOUND',
      );
    });

    it.each<[string, string, string, Record<string, string> | null]>([
      ['TRACE', '/send-mms', 'POST', null],
      ['GET', '/send-mms', 'POST', null],
      ['OPTIONS', '/messages', 'GET, HEAD', null],
      ['DELETE', '/messages/665f1c2e9d3b4a0012345678', 'GET, HEAD', null],
      ['PATCH', '/health', 'GET, HEAD', null],
      ['TRACE', '/health/ready', 'GET, HEAD', null],
      ['POST', '/docs-json', 'GET, HEAD', null],
      ['GET', STATUS_PATH, 'POST', null],
      ['PUT', INBOUND_PATH, 'POST', { 'Content-Type': 'text/plain' }],
      ['POST', '/messages', 'GET, HEAD', { 'Content-Type': 'text/plain' }],
    ])(
      '%s %s is 405 METHOD_NOT_ALLOWED with Allow: %s (before the API key, and before the body type)',
      async (method, path, allow, headers) => {
        const r = await call(t.baseUrl, method, path, headers ? 'x' : undefined, headers ?? {});
        expectError(r, 405, 'METHOD_NOT_ALLOWED');
        expect(r.headers.allow).toBe(allow);
      },
    );

    it('a route answers every method it declares (HEAD with GET), and its own 404 stays a 404', async () => {
      expect((await call(t.baseUrl, 'HEAD', '/health')).status).toBe(200);
      const own = await call(
        t.baseUrl,
        'GET',
        '/messages/665f1c2e9d3b4a0012345678',
        undefined,
        AUTH,
      );
      expectError(own, 404, 'MESSAGE_NOT_FOUND');
      expect(own.headers.allow).toBeUndefined();
    });

    const sent = () => t.plivo.requests.length;

    it.each([
      'text/plain',
      'text/plain; charset=utf-8',
      'application/xml',
      'text/xml',
      'multipart/form-data; boundary=XyZ',
      'application/octet-stream',
      'application/vnd.api+json',
      ';;;',
    ])(
      'POST /send-mms with Content-Type %s is 415 UNSUPPORTED_MEDIA_TYPE with Accept-Post; nothing sent',
      async (type) => {
        const r = await call(t.baseUrl, 'POST', '/send-mms', JSON.stringify(SEED), {
          ...AUTH,
          'Content-Type': type,
        });
        expectError(r, 415, 'UNSUPPORTED_MEDIA_TYPE');
        expect(r.headers['accept-post']).toBe(
          'application/json, application/x-www-form-urlencoded',
        );
        expect(sent()).toBe(0);
      },
    );

    it('a body without Content-Type is 415; no body and no Content-Type is an empty body (400 naming the fields)', async () => {
      const untyped = await call(t.baseUrl, 'POST', '/send-mms', JSON.stringify(SEED), AUTH);
      expectError(untyped, 415, 'UNSUPPORTED_MEDIA_TYPE');
      for (const body of [undefined, '']) {
        const empty = await call(t.baseUrl, 'POST', '/send-mms', body, AUTH);
        expectError(empty, 400, 'VALIDATION_FAILED');
        const fields = (empty.body.errors as Array<{ field: string }>).map((e) => e.field);
        expect(fields).toEqual(expect.arrayContaining(['destinationNumber', 'messageText']));
      }
      expect(sent()).toBe(0);
    });

    it('an unsupported charset or Content-Encoding is 415 UNSUPPORTED_MEDIA_TYPE', async () => {
      const cases: Array<Record<string, string>> = [
        { 'Content-Type': 'application/json; charset=latin1' },
        { 'Content-Type': 'application/x-www-form-urlencoded; charset=koi8-r' },
        { 'Content-Type': 'application/json', 'Content-Encoding': 'xyz' },
      ];
      for (const headers of cases)
        expectError(
          await call(t.baseUrl, 'POST', '/send-mms', JSON.stringify(SEED), { ...AUTH, ...headers }),
          415,
          'UNSUPPORTED_MEDIA_TYPE',
        );
      expect(sent()).toBe(0);
    });

    it('malformed JSON is 400 MALFORMED_JSON; an unreadable or over-nested body 400 MALFORMED_BODY', async () => {
      const json = { ...AUTH, 'Content-Type': 'application/json' };
      expectError(
        await call(t.baseUrl, 'POST', '/send-mms', '{"destinationNumber": "+1415', json),
        400,
        'MALFORMED_JSON',
      );
      expectError(
        await call(t.baseUrl, 'POST', '/send-mms', 'not gzip', {
          ...json,
          'Content-Encoding': 'gzip',
        }),
        400,
        'MALFORMED_BODY',
      );
      const gzipped = gzipSync(JSON.stringify(SEED).slice(0, 20));
      expectError(
        await call(t.baseUrl, 'POST', '/send-mms', gzipped, {
          ...json,
          'Content-Encoding': 'gzip',
        }),
        400,
        'MALFORMED_JSON',
      );
      const deep = `{"destinationNumber":${'['.repeat(20)}${']'.repeat(20)}}`;
      expectError(await call(t.baseUrl, 'POST', '/send-mms', deep, json), 400, 'MALFORMED_BODY');
      expect(sent()).toBe(0);
    });

    it('a path that is not valid percent-encoding is 400 BAD_REQUEST', async () => {
      expectError(
        await call(t.baseUrl, 'GET', '/messages/%E0%A4%A', undefined, AUTH),
        400,
        'BAD_REQUEST',
      );
    });

    describe('the webhooks take form and JSON bodies (what Plivo sends), nothing else', () => {
      const signed = (path: string, params: Record<string, string> = {}) =>
        signatureHeaders({ url: t.baseUrl + path, params, token: t.authToken });

      it.each([
        'application/x-www-form-urlencoded',
        'application/x-www-form-urlencoded; charset=UTF-8',
        'application/json',
      ])('a signed %s callback is applied (200)', async (type) => {
        const params = { MessageUUID: '0936ec98-7c4c-11e4-9bd8-22000afa12b9', Status: 'sent' };
        const body = type.startsWith('application/json')
          ? JSON.stringify(params)
          : new URLSearchParams(params).toString();
        const r = await call(t.baseUrl, 'POST', STATUS_PATH, body, {
          'Content-Type': type,
          ...signed(STATUS_PATH, params),
        });
        expect(r.status).toBe(200);
      });

      it.each([STATUS_PATH, INBOUND_PATH])(
        'POST %s: text/plain, XML or multipart is 415 (signed or not); malformed JSON 400 MALFORMED_JSON before the signature; no body at all reaches the callback checks',
        async (path) => {
          for (const type of ['text/plain', 'application/xml', 'multipart/form-data; boundary=b']) {
            const r = await call(t.baseUrl, 'POST', path, 'MessageUUID=x', {
              'Content-Type': type,
              ...signed(path),
            });
            expectError(r, 415, 'UNSUPPORTED_MEDIA_TYPE');
          }
          expectError(
            await call(t.baseUrl, 'POST', path, '{"MessageUUID":', {
              'Content-Type': 'application/json',
            }),
            400,
            'MALFORMED_JSON',
          );
          expectError(
            await call(t.baseUrl, 'POST', path, undefined, signed(path)),
            400,
            'INVALID_CALLBACK',
          );
          expectError(await call(t.baseUrl, 'POST', path, undefined), 403, 'INVALID_SIGNATURE');
        },
      );
    });
  });
});
