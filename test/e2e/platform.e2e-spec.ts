import request from 'supertest';
import { createTestApp, TestApp } from '../support/test-app';
import { PLIVO_WEBHOOK_ROUTES } from '../../src/mms/plivo/webhook-routes';
import { readmeSeedRequest } from '../support/readme-seed';

const DOCS_BASE_URL = 'https://docs.example.test/gateway/docs';

describe('health, errors, request ids and the OpenAPI document (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ DOCS_BASE_URL });
  });
  afterAll(async () => t?.close());

  it('GET /health keeps the seed shape', async () => {
    const res = await request(t.baseUrl).get('/health').expect(200);
    expect(res.body).toEqual({ status: 'ok', timestamp: expect.any(String) });
    expect(Number.isNaN(Date.parse(res.body.timestamp))).toBe(false);
  });

  it('GET /health/live and /health/ready answer 200 with the database up', async () => {
    await request(t.baseUrl).get('/health/live').expect(200);
    const ready = await request(t.baseUrl).get('/health/ready').expect(200);
    expect(ready.body.details.mongodb.status).toBe('up');
  });

  it('an unknown route is a JSON 404 in the common error shape', async () => {
    const res = await request(t.baseUrl).get('/nope').expect(404);
    expect(res.body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      code: 'NOT_FOUND',
      message: expect.any(String),
      requestId: expect.any(String),
    });
  });

  it('honours and echoes a well-formed X-Request-Id, replaces a malformed one', async () => {
    const res = await request(t.baseUrl).get('/nope').set('X-Request-Id', 'abc-123').expect(404);
    expect(res.headers['x-request-id']).toBe('abc-123');
    expect(res.body.requestId).toBe('abc-123');
    const bad = await request(t.baseUrl)
      .get('/health')
      .set('X-Request-Id', 'evil\tvalue<script>')
      .expect(200);
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('does not advertise Express', async () => {
    const res = await request(t.baseUrl).get('/health');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('the OpenAPI document states every constraint the validators enforce', async () => {
    const doc = (await request(t.baseUrl).get('/docs-json').expect(200)).body;
    const dto = doc.components.schemas.SendMmsDto;
    const url = {
      type: 'string',
      format: 'uri',
      pattern: '^[Hh][Tt][Tt][Pp][Ss]?://',
      maxLength: 2048,
    };
    expect(dto).toMatchObject({
      additionalProperties: false,
      required: expect.arrayContaining(['destinationNumber', 'messageText']),
      properties: {
        destinationNumber: { type: 'string', pattern: '^\\+[1-9][0-9]{6,14}$', format: 'e164' },
        messageText: { type: 'string', minLength: 1, maxLength: 1600, pattern: expect.any(String) },
        mediaUrl: url,
        mediaUrls: { type: 'array', items: url, maxItems: 10 },
        mediaIds: {
          type: 'array',
          items: { type: 'string', pattern: '^[A-Za-z0-9-]{1,64}$' },
          maxItems: 10,
        },
        fallbackToSms: { type: 'boolean' },
      },
    });
    // The form content: the same schema, but a list may be its key sent once (one value).
    const form =
      doc.paths['/send-mms'].post.requestBody.content['application/x-www-form-urlencoded'];
    expect(form.schema).toEqual({ $ref: '#/components/schemas/SendMmsDtoForm' });
    expect(form.encoding).toEqual({
      mediaUrls: { style: 'form', explode: true },
      mediaIds: { style: 'form', explode: true },
    });
    const formDto = doc.components.schemas.SendMmsDtoForm;
    expect(formDto).toEqual({
      ...dto,
      description: expect.stringContaining(dto.description),
      properties: {
        ...dto.properties,
        mediaUrls: {
          description: dto.properties.mediaUrls.description,
          example: dto.properties.mediaUrls.example,
          anyOf: [{ type: 'array', items: url, maxItems: 10 }, url],
        },
        mediaIds: {
          description: dto.properties.mediaIds.description,
          example: dto.properties.mediaIds.example,
          anyOf: [
            { type: 'array', items: dto.properties.mediaIds.items, maxItems: 10 },
            dto.properties.mediaIds.items,
          ],
        },
      },
    });
    // Whitespace-only text is refused: the pattern wants one character that is not whitespace.
    const notBlank = new RegExp(dto.properties.messageText.pattern);
    expect([' ', '\t\n', '\u00a0\u3000'].some((s) => notBlank.test(s))).toBe(false);
    expect(notBlank.test(' x ')).toBe(true);
    // 1 to 10 media in total: some media present, and every split of the total bounded.
    const [present, total] = dto.allOf;
    expect(present.anyOf).toEqual([
      { required: ['mediaUrl'] },
      { required: ['mediaUrls'], properties: { mediaUrls: { minItems: 1 } } },
      { required: ['mediaIds'], properties: { mediaIds: { minItems: 1 } } },
    ]);
    const fits = (body: { mediaUrl?: string; urls: number; ids: number }) =>
      total.anyOf.some(
        (b: {
          required?: string[];
          not?: object;
          properties: Record<string, { maxItems: number; type?: string }>;
        }) =>
          (b.required ? body.mediaUrl !== undefined : body.mediaUrl === undefined) &&
          body.urls <= b.properties.mediaUrls.maxItems &&
          body.ids <= b.properties.mediaIds.maxItems,
      );
    // A bound of 0 also says "an array", so that in a form a lone value (a string, which
    // maxItems does not bound) still counts as one medium.
    for (const b of total.anyOf)
      for (const list of ['mediaUrls', 'mediaIds'])
        if (b.properties[list].maxItems === 0) expect(b.properties[list].type).toBe('array');
    for (const mediaUrl of [undefined, 'x'])
      for (let urls = 0; urls <= 10; urls++)
        for (let ids = 0; ids <= 10; ids++)
          expect([mediaUrl, urls, ids, fits({ mediaUrl, urls, ids })]).toEqual([
            mediaUrl,
            urls,
            ids,
            (mediaUrl ? 1 : 0) + urls + ids <= 10,
          ]);

    const params = Object.fromEntries(
      doc.paths['/messages'].get.parameters.map((p: { name: string; schema: object }) => [
        p.name,
        p.schema,
      ]),
    );
    expect(params).toMatchObject({
      status: { type: 'string', enum: expect.arrayContaining(['queued', 'delivered']) },
      direction: { type: 'string', enum: ['outbound', 'inbound'] },
      recipient: { type: 'string', pattern: '^\\+[1-9][0-9]{6,14}$', format: 'e164' },
      limit: { type: 'integer', minimum: 1, maximum: 100 },
      cursor: { type: 'string', minLength: 32, maxLength: 32, pattern: expect.any(String) },
    });
  });

  it('every operation links its page of docs/ (under DOCS_BASE_URL), for Swagger UI to show', async () => {
    const doc = (await request(t.baseUrl).get('/docs-json').expect(200)).body;
    const links = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, item]) =>
        Object.entries(item).map(([method, operation]) => [
          `${method.toUpperCase()} ${path}`,
          (operation as { externalDocs?: { url: string } }).externalDocs?.url,
        ]),
    );
    expect(links.length).toBeGreaterThan(20);
    const unlinked = links.filter(([, url]) => !url?.startsWith(`${DOCS_BASE_URL}/`));
    expect(unlinked).toEqual([]);
    expect(doc.paths['/send-mms'].post.externalDocs).toEqual({
      description: 'docs/api.md#post-send-mms',
      url: `${DOCS_BASE_URL}/api.md#post-send-mms`,
    });
    expect(doc.paths['/messages/{id}/cancel'].post.externalDocs.url).toBe(
      `${DOCS_BASE_URL}/dispatch.md#scheduling-cancel-expiry-and-pacing`,
    );
  });

  it("POST /send-mms's first example is the README quick start's curl body, in both encodings", async () => {
    const doc = (await request(t.baseUrl).get('/docs-json').expect(200)).body;
    const seed = readmeSeedRequest();
    expect(seed).toEqual(expect.objectContaining({ destinationNumber: expect.any(String) }));
    const content = doc.paths['/send-mms'].post.requestBody.content;
    for (const type of ['application/json', 'application/x-www-form-urlencoded']) {
      const examples = Object.values(content[type].examples ?? {}) as { value: unknown }[];
      expect({ type, first: examples[0]?.value }).toEqual({ type, first: seed });
    }
    // And the README's curl is answered as it says (202 queued).
    const sent = await request(t.baseUrl)
      .post('/send-mms')
      .send(seed as object)
      .expect(202);
    expect(sent.body.status).toBe('queued');
  });

  it('serves Swagger UI at /docs and an OpenAPI document listing every route and field', async () => {
    const ui = await request(t.baseUrl).get('/docs/').expect(200);
    expect(ui.text).toContain('swagger-ui');
    const doc = (await request(t.baseUrl).get('/docs-json').expect(200)).body;
    expect(Object.keys(doc.paths).sort()).toEqual(
      expect.arrayContaining([
        '/send-mms',
        '/messages',
        '/messages/{id}',
        '/health',
        '/health/live',
        '/health/ready',
        PLIVO_WEBHOOK_ROUTES.status,
        PLIVO_WEBHOOK_ROUTES.inbound,
      ]),
    );
    // Every $ref resolves (a decorator that only writes the reference, like ApiCallbacks, leaves
    // a dangling one unless its model is registered).
    const refs = new Set<string>();
    const collect = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(collect);
      else if (node && typeof node === 'object')
        for (const [key, value] of Object.entries(node))
          if (key === '$ref' && typeof value === 'string') refs.add(value);
          else collect(value);
    };
    collect(doc);
    const dangling = [...refs].filter(
      (ref) => !doc.components.schemas[ref.replace('#/components/schemas/', '')],
    );
    expect(refs.size).toBeGreaterThan(10);
    expect(dangling).toEqual([]);
    // The status callback a client receives is described, with every field of its body.
    const callback =
      doc.paths['/send-mms'].post.callbacks.messageStatus['{$request.body#/statusCallbackUrl}']
        .post;
    const payloadRef = callback.requestBody.content['application/json'].schema.$ref as string;
    expect(
      Object.keys(doc.components.schemas[payloadRef.split('/').pop()!].properties).sort(),
    ).toEqual(
      [
        'channel',
        'errorCode',
        'errorMessage',
        'id',
        'messageId',
        'occurredAt',
        'plivoMessageUuid',
        'previousStatus',
        'sequence',
        'status',
        'type',
      ].sort(),
    );
    // So is the message.received event a number's owner receives (INBOUND_CALLBACK_URLS).
    const received =
      doc.paths[PLIVO_WEBHOOK_ROUTES.inbound].post.callbacks.messageReceived.INBOUND_CALLBACK_URLS
        .post;
    const receivedRef = received.requestBody.content['application/json'].schema.$ref as string;
    expect(
      Object.keys(doc.components.schemas[receivedRef.split('/').pop()!].properties).sort(),
    ).toEqual(
      [
        'channel',
        'from',
        'id',
        'keyword',
        'media',
        'messageId',
        'plivoMessageUuid',
        'receivedAt',
        'text',
        'to',
        'type',
      ].sort(),
    );
    const send = doc.paths['/send-mms'].post;
    expect(Object.keys(send.responses).sort()).toEqual([
      '202',
      '400',
      '401',
      '403',
      '409',
      '413',
      '415',
      '422',
      '429',
      '500',
      '502',
      '503',
      '504',
    ]);
    expect(Object.keys(send.requestBody.content)).toEqual([
      'application/json',
      'application/x-www-form-urlencoded',
    ]);
    const dto = doc.components.schemas.SendMmsDto;
    expect(Object.keys(dto.properties).sort()).toEqual([
      'destinationNumber',
      'fallbackToSms',
      'mediaIds',
      'mediaUrl',
      'mediaUrls',
      'messageText',
      'sendAt',
      'senderNumber',
      'statusCallbackUrl',
      'validUntil',
    ]);
    expect(dto.required.sort()).toEqual(['destinationNumber', 'messageText']);
    expect(dto.properties.destinationNumber.example).toBe('+14157654321');
    expect(Object.keys(doc.components.schemas.MessageDto.properties)).toEqual(
      expect.arrayContaining([
        'id',
        'direction',
        'sender',
        'recipient',
        'text',
        'mediaUrls',
        'mediaIds',
        'status',
        'plivoMessageUuid',
        'errorCode',
        'errorMessage',
        'statusHistory',
        'createdAt',
        'updatedAt',
      ]),
    );
    expect(doc.paths['/messages/{id}'].get.responses).toHaveProperty('404');
    expect(doc.paths['/messages/{id}'].get.parameters[0].schema.pattern).toBe('^[0-9a-fA-F]{24}$');
    expect(
      doc.paths[PLIVO_WEBHOOK_ROUTES.status].post.parameters.map((p: { name: string }) => p.name),
    ).toEqual(
      expect.arrayContaining(['X-Plivo-Signature-V3', 'X-Plivo-Signature-V3-Nonce', 'ref']),
    );
  });
});
