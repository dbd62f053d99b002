import request from 'supertest';
import { MessageLog } from '../../src/mms/message-log/message-log.schema';
import { PLIVO_WEBHOOK_ROUTES } from '../../src/mms/plivo/webhook-routes';
import { createTestApp, TEST_SENDER, TestApp } from '../support/test-app';

const SEED = {
  destinationNumber: '+14157654321',
  messageText: 'Hello',
  mediaUrl: 'https://media.example.com/a.gif',
};

describe('POST /send-mms (e2e: real app, real MongoDB-wire server, Plivo simulator through the real SDK)', () => {
  let t: TestApp;
  const logs = () => t.db.model<MessageLog>(MessageLog.name);

  beforeAll(async () => {
    t = await createTestApp({ PLIVO_MAX_RETRIES: '2', PLIVO_TIMEOUT_MS: '700' });
  });
  beforeEach(async () => t.reset());
  afterAll(async () => t?.close());

  describe('the seed contract', () => {
    it('answers 202 with the log id and Plivo response, and sends Plivo exactly the expected request', async () => {
      const res = await request(t.baseUrl).post('/send-mms').send(SEED).expect(202);

      expect(res.body).toEqual({
        message: 'MMS sending request accepted.',
        messageId: expect.stringMatching(/^[0-9a-f]{24}$/),
        status: 'queued',
        plivoResponse: {
          message: 'message(s) queued',
          messageUuid: [expect.any(String)],
          apiId: expect.any(String),
        },
        channel: 'mms',
      });
      expect(t.plivo.sentMessages).toHaveLength(1);
      const sent = t.plivo.sentMessages[0];
      expect(sent.body).toEqual({
        src: TEST_SENDER,
        dst: '+14157654321',
        text: 'Hello',
        type: 'mms',
        media_urls: ['https://media.example.com/a.gif'],
        url: `${t.baseUrl}${PLIVO_WEBHOOK_ROUTES.status}?ref=${res.body.messageId}`,
        method: 'POST',
      });
      expect(sent.messageUuid).toBe(res.body.plivoResponse.messageUuid[0]);

      const stored = await logs().findById(res.body.messageId).lean();
      expect(stored).toMatchObject({
        direction: 'outbound',
        sender: TEST_SENDER,
        recipient: '+14157654321',
        text: 'Hello',
        mediaUrls: ['https://media.example.com/a.gif'],
        status: expect.stringMatching(/^(queued|sent|delivered)$/),
        plivoMessageUuid: sent.messageUuid,
        plivoApiId: res.body.plivoResponse.apiId,
        attempts: 1,
      });
      expect(stored!.statusHistory.slice(0, 2).map((h) => h.status)).toEqual(['pending', 'queued']);
    });

    it('accepts the seed body form-urlencoded, and mediaUrls/mediaIds in both encodings', async () => {
      await request(t.baseUrl)
        .post('/send-mms')
        .type('form')
        .send(
          'destinationNumber=%2B14157654321&messageText=Hello&mediaUrl=https%3A%2F%2Fmedia.example.com%2Fa.gif&mediaUrls=https%3A%2F%2Fmedia.example.com%2Fb.png&mediaIds=801c2056-33ab-499c-80ef-58b574a462a2',
        )
        .expect(202);
      await request(t.baseUrl)
        .post('/send-mms')
        .send({
          destinationNumber: '+16135550123',
          messageText: 'Hi',
          mediaUrls: ['https://m.example.com/1.png', 'https://m.example.com/2.png'],
          mediaIds: ['abc-123'],
        })
        .expect(202);
      expect(t.plivo.sentMessages.map((r) => r.body)).toEqual([
        expect.objectContaining({
          media_urls: ['https://media.example.com/a.gif', 'https://media.example.com/b.png'],
          media_ids: ['801c2056-33ab-499c-80ef-58b574a462a2'],
        }),
        expect.objectContaining({
          dst: '+16135550123',
          media_urls: ['https://m.example.com/1.png', 'https://m.example.com/2.png'],
          media_ids: ['abc-123'],
        }),
      ]);
    });

    it('a form field sent once is a list of one (the body Schemathesis found refused), "false" a boolean', async () => {
      const res = await request(t.baseUrl)
        .post('/send-mms')
        .type('form')
        .send(
          'destinationNumber=%2B14157654321&fallbackToSms=false&mediaIds=AAA&mediaUrl=https%3A%2F%2Fmedia.example.com%2Fa.gif&mediaUrls=https%3A%2F%2Fexample.com%2Fa.png&mediaUrls=https%3A%2F%2Fexample.com%2Fb.jpg&messageText=Hello+from+Plivo+MMS%21',
        )
        .expect(202);
      expect(t.plivo.sentMessages.map((r) => r.body)).toEqual([
        expect.objectContaining({
          media_urls: [
            'https://media.example.com/a.gif',
            'https://example.com/a.png',
            'https://example.com/b.jpg',
          ],
          media_ids: ['AAA'],
        }),
      ]);
      const log = await logs().findById(res.body.messageId).lean();
      expect(log).toMatchObject({ mediaIds: ['AAA'] });
    });

    it('writes the log before Plivo is called', async () => {
      // The simulator holds the answer; meanwhile the log must already exist as pending.
      t.plivo.failNext({ delayMs: 400 });
      const pending = request(t.baseUrl)
        .post('/send-mms')
        .send(SEED)
        .then((r) => r);
      await t.plivo.waitFor((sim) => sim.requests.length > 0, 3000);
      const during = await logs().find().lean();
      expect(during).toHaveLength(1);
      expect(during[0].status).toBe('pending');
      const res = await pending;
      expect(res.status).toBe(202);
      expect((await logs().findById(res.body.messageId).lean())!.status).not.toBe('pending');
    });
  });

  describe('its database round trips', () => {
    afterEach(() => t.db.set('debug', false));

    it('three commands per send: the opt-out read, the insert of the complete log, an update to queued that returns nothing', async () => {
      const calls: { command: string; args: string }[] = [];
      t.db.set('debug', (collection: string, method: string, ...args: unknown[]) =>
        calls.push({ command: `${collection}.${method}`, args: JSON.stringify(args) }),
      );
      const res = await request(t.baseUrl).post('/send-mms').send(SEED).expect(202);
      t.db.set('debug', false);
      // This send's commands: those naming its recipient or its id (not the background workers').
      const mine = calls.filter(
        (c) => c.args.includes(SEED.destinationNumber) || c.args.includes(res.body.messageId),
      );
      expect(mine.map((c) => c.command)).toEqual([
        'opt_outs.findOne',
        'message_logs.insertOne',
        'message_logs.updateOne',
      ]);
      // What the send wrote is what GET /messages/:id shows, Mongoose's defaults included.
      const got = await request(t.baseUrl).get(`/messages/${res.body.messageId}`).expect(200);
      expect(got.body).toMatchObject({
        status: 'queued',
        direction: 'outbound',
        channel: 'mms',
        recipient: SEED.destinationNumber,
        mediaUrls: [SEED.mediaUrl],
        mediaIds: [],
        attempts: 1,
      });
    });
  });

  describe('validation: 400 naming each bad field, and no Plivo call', () => {
    const cases: [string, unknown, string[]][] = [
      ['missing everything', {}, ['destinationNumber', 'messageText']],
      ['not E.164', { ...SEED, destinationNumber: '4157654321' }, ['destinationNumber']],
      ['invalid number', { ...SEED, destinationNumber: '+10000000000' }, ['destinationNumber']],
      ['number as a number', { ...SEED, destinationNumber: 14157654321 }, ['destinationNumber']],
      ['empty text', { ...SEED, messageText: '' }, ['messageText']],
      ['text over 1600', { ...SEED, messageText: 'x'.repeat(1601) }, ['messageText']],
      ['text not a string', { ...SEED, messageText: ['a'] }, ['messageText']],
      ['relative media URL', { ...SEED, mediaUrl: '/a.gif' }, ['mediaUrl']],
      ['ftp media URL', { ...SEED, mediaUrl: 'ftp://example.com/a.gif' }, ['mediaUrl']],
      ['no media', { destinationNumber: '+14157654321', messageText: 'Hello' }, ['media']],
      [
        '11 media',
        {
          ...SEED,
          mediaUrls: Array.from({ length: 10 }, (_, i) => `https://m.example.com/${i}.png`),
        },
        ['media'],
      ],
      [
        'mediaUrls with a bad URL',
        { ...SEED, mediaUrls: ['https://ok.example.com/a.png', 'nope'] },
        ['mediaUrls'],
      ],
      ['mediaIds with junk', { ...SEED, mediaIds: ['../etc/passwd'] }, ['mediaIds']],
      // JSON has arrays, booleans and absent fields: a string or a null is not one of them.
      ['JSON mediaIds as a string', { ...SEED, mediaIds: 'AAA' }, ['mediaIds']],
      [
        'JSON mediaUrls as a string',
        { ...SEED, mediaUrls: 'https://m.example.com/1.png' },
        ['mediaUrls'],
      ],
      ['JSON fallbackToSms as a string', { ...SEED, fallbackToSms: 'true' }, ['fallbackToSms']],
      [
        'JSON nulls for optional fields',
        { ...SEED, mediaUrls: null, mediaIds: null, fallbackToSms: null },
        ['mediaUrls', 'mediaIds', 'fallbackToSms'],
      ],
      ['unknown field', { ...SEED, src: '+15555550100' }, ['src']],
      ['forwarding attempt', { ...SEED, url: 'https://evil.example.com/cb' }, ['url']],
    ];
    it.each(cases)('%s', async (_name, body, fields) => {
      const res = await request(t.baseUrl)
        .post('/send-mms')
        .send(body as object)
        .expect(400);
      expect(res.body).toMatchObject({
        statusCode: 400,
        error: 'Bad Request',
        code: 'VALIDATION_FAILED',
        requestId: expect.any(String),
      });
      expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(
        [...fields].sort(),
      );
      expect(t.plivo.requests).toHaveLength(0);
      expect(await logs().countDocuments()).toBe(0);
    });

    it('the messages: a JSON string is not a list, an optional field is left out, not null', async () => {
      const res = await request(t.baseUrl)
        .post('/send-mms')
        .send({ ...SEED, mediaIds: 'AAA', mediaUrl: null })
        .expect(400);
      expect(res.body.errors).toEqual([
        { field: 'mediaUrl', messages: ['mediaUrl may be left out, but not null'] },
        { field: 'mediaIds', messages: ['mediaIds must be an array'] },
      ]);
    });

    it('malformed JSON is a 400 JSON error, not an HTML page', async () => {
      const res = await request(t.baseUrl)
        .post('/send-mms')
        .set('Content-Type', 'application/json')
        .send('{"destinationNumber": "+1415')
        .expect(400);
      expect(res.headers['content-type']).toMatch(/application\/json/);
      expect(res.body).toMatchObject({
        statusCode: 400,
        error: 'Bad Request',
        code: 'MALFORMED_JSON',
        requestId: expect.any(String),
      });
      expect(t.plivo.requests).toHaveLength(0);
    });

    it('a JSON array or a text body is refused (a text body as 415: JSON and form only)', async () => {
      await request(t.baseUrl).post('/send-mms').send([SEED]).expect(400);
      const text = await request(t.baseUrl)
        .post('/send-mms')
        .set('Content-Type', 'text/plain')
        .send('hello')
        .expect(415);
      expect(text.body).toMatchObject({ statusCode: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
      expect(t.plivo.requests).toHaveLength(0);
    });
  });

  describe('the error contract of validation: one message per problem, a hint for a near-miss name', () => {
    async function refused(body: object | string, form = false) {
      const req = request(t.baseUrl).post('/send-mms');
      const res = await (form ? req.type('form').send(body as string) : req.send(body)).expect(400);
      expect(res.body).toMatchObject({
        statusCode: 400,
        error: 'Bad Request',
        code: 'VALIDATION_FAILED',
        requestId: expect.any(String),
      });
      expect(res.body.message).toBe(
        res.body.errors.flatMap((e: { messages: string[] }) => e.messages).join('; '),
      );
      expect(t.plivo.requests).toHaveLength(0);
      expect(await logs().countDocuments()).toBe(0);
      return res.body.errors as { field: string; messages: string[] }[];
    }

    it('{to, text}: each unknown field names the field meant, and each missing field has one message', async () => {
      expect(await refused({ to: '+14157654321', text: 'Hello', mediaUrl: SEED.mediaUrl })).toEqual(
        [
          {
            field: 'to',
            messages: ['property to should not exist (did you mean destinationNumber?)'],
          },
          {
            field: 'text',
            messages: ['property text should not exist (did you mean messageText?)'],
          },
          { field: 'destinationNumber', messages: ['destinationNumber is required'] },
          { field: 'messageText', messages: ['messageText is required'] },
        ],
      );
    });

    it.each([
      ['body', 'messageText'],
      ['media', 'mediaUrls'],
      ['mediaURL', 'mediaUrl'],
      ['mediaURLs', 'mediaUrls'],
      ['media_urls', 'mediaUrls'],
      ['mediaId', 'mediaIds'],
      ['fallbackToSMS', 'fallbackToSms'],
    ])('JSON: %s → "did you mean %s?"', async (name, meant) => {
      expect(await refused({ ...SEED, [name]: 'x' })).toEqual([
        { field: name, messages: [`property ${name} should not exist (did you mean ${meant}?)`] },
      ]);
    });

    it.each([
      ['mediaUrl[]', 'mediaUrls'],
      ['mediaUrls[]', 'mediaUrls'],
      ['mediaIds[]', 'mediaIds'],
      ['text', 'messageText'],
    ])('form: %s → "did you mean %s?"', async (name, meant) => {
      const body = `destinationNumber=%2B14157654321&messageText=Hi&mediaUrl=https%3A%2F%2Fm.example.com%2Fa.gif&${encodeURIComponent(name)}=x`;
      expect(await refused(body, true)).toEqual([
        { field: name, messages: [`property ${name} should not exist (did you mean ${meant}?)`] },
      ]);
    });

    it('a name like no field: refused without a guess', async () => {
      expect(await refused({ ...SEED, src: '+15555550100' })).toEqual([
        { field: 'src', messages: ['property src should not exist'] },
      ]);
    });

    it.each([
      ['missing', undefined, 'messageText is required'],
      ['null', null, 'messageText is required'],
      ['a number', 42, 'messageText must be a string'],
      ['an array', ['a'], 'messageText must be a string'],
      ['empty', '', 'messageText must contain a character other than whitespace'],
      ['a space', ' ', 'messageText must contain a character other than whitespace'],
      [
        'whitespace',
        ' \t\r\n\u00a0\u2003\u3000\ufeff',
        'messageText must contain a character other than whitespace',
      ],
      [
        '1601 characters',
        'x'.repeat(1601),
        'messageText must be shorter than or equal to 1600 characters',
      ],
    ])('messageText %s: exactly one message', async (_name, messageText, message) => {
      expect(await refused({ ...SEED, messageText })).toEqual([
        { field: 'messageText', messages: [message] },
      ]);
    });

    it('destinationNumber missing: one message', async () => {
      const { destinationNumber: _, ...body } = SEED;
      expect(await refused(body)).toEqual([
        { field: 'destinationNumber', messages: ['destinationNumber is required'] },
      ]);
    });

    it('text with whitespace around it is kept as sent; 1600 emoji are 1600 characters', async () => {
      await request(t.baseUrl)
        .post('/send-mms')
        .send({ ...SEED, messageText: '  Hello  ' })
        .expect(202);
      await request(t.baseUrl)
        .post('/send-mms')
        .send({ ...SEED, messageText: '😀'.repeat(1600) })
        .expect(202);
      expect(t.plivo.sentMessages.map((m) => (m.body as { text: string }).text)).toEqual([
        '  Hello  ',
        '😀'.repeat(1600),
      ]);
    });
  });

  describe('media URLs refused for their address: 400 MEDIA_URL_BLOCKED under the field sent', () => {
    async function blocked(body: object | string, form = false) {
      const req = request(t.baseUrl).post('/send-mms');
      const res = await (form ? req.type('form').send(body as string) : req.send(body)).expect(400);
      expect(res.body).toMatchObject({
        statusCode: 400,
        error: 'Bad Request',
        code: 'MEDIA_URL_BLOCKED',
        requestId: expect.any(String),
      });
      expect(t.plivo.requests).toHaveLength(0);
      expect(await logs().countDocuments()).toBe(0);
      return res.body.errors as { field: string; messages: string[] }[];
    }

    it.each([
      'http://2130706433/a.gif',
      'http://0x7f.1/a.gif',
      'http://0x7f000001/a.gif',
      'http://0177.0.0.1/a.gif',
      'http://127.1/a.gif',
      'http://%31%32%37.0.0.1/a.gif',
      'http://127.0.0.1./a.gif',
      'http://[::ffff:7f00:1]/a.gif',
      'http://167772161/a.gif', // 10.0.0.1
      'http://0xa9fea9fe/latest/meta-data/', // 169.254.169.254
    ])('mediaUrl %s → MEDIA_URL_BLOCKED under mediaUrl', async (url) => {
      const errors = await blocked({ ...SEED, mediaUrl: url });
      expect(errors).toEqual([
        { field: 'mediaUrl', messages: [expect.stringMatching(/ is not a public address$/)] },
      ]);
      expect(errors[0].messages[0].startsWith(`${url}: `)).toBe(true);
    });

    it('mediaUrl and mediaUrls together: each refused URL under its own field and index', async () => {
      const errors = await blocked({
        ...SEED,
        mediaUrl: 'http://localhost/a.gif',
        mediaUrls: ['https://ok.example.com/a.png', 'http://0x7f.1/b.gif', 'http://[::1]/c.gif'],
      });
      expect(errors).toEqual([
        { field: 'mediaUrl', messages: ['http://localhost/a.gif: localhost is not allowed'] },
        {
          field: 'mediaUrls[1]',
          messages: ['http://0x7f.1/b.gif: 127.0.0.1 is not a public address'],
        },
        { field: 'mediaUrls[2]', messages: ['http://[::1]/c.gif: [::1] is not a public address'] },
      ]);
    });

    it('form body: a lone mediaUrls value is mediaUrls[0], a singular mediaUrl is mediaUrl', async () => {
      const errors = await blocked(
        'destinationNumber=%2B14157654321&messageText=Hi&mediaUrl=http%3A%2F%2F2130706433%2Fa.gif&mediaUrls=http%3A%2F%2F10.0.0.1%2Fb.gif',
        true,
      );
      expect(errors.map((e) => e.field)).toEqual(['mediaUrl', 'mediaUrls[0]']);
    });

    it('a malformed URL is still VALIDATION_FAILED, under its field', async () => {
      const res = await request(t.baseUrl)
        .post('/send-mms')
        .send({ ...SEED, mediaUrls: ['http://1.2.3.4.5/a.gif'] })
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errors).toEqual([
        { field: 'mediaUrls', messages: ['each of mediaUrls must be an absolute http(s) URL'] },
      ]);
    });
  });

  describe('Plivo failures: mapped answer, failed log, honest codes', () => {
    async function sendExpecting(status: number) {
      const res = await request(t.baseUrl).post('/send-mms').send(SEED);
      expect(res.status).toBe(status);
      expect(res.body).toMatchObject({
        statusCode: status,
        messageId: expect.stringMatching(/^[0-9a-f]{24}$/),
        code: expect.any(String),
      });
      const log = await logs().findById(res.body.messageId).lean();
      return { res, log: log! };
    }

    it('Plivo 400 → 400 with Plivo’s reason; no retry', async () => {
      t.plivo.failNext({
        status: 400,
        body: { api_id: 'x', error: 'dst parameter is not a valid number' },
      });
      const { res, log } = await sendExpecting(400);
      expect(res.body.message).toContain('dst parameter is not a valid number');
      expect(res.body.code).toBe('PLIVO_REJECTED');
      expect(log).toMatchObject({ status: 'failed', errorCode: 'PLIVO_REJECTED', attempts: 1 });
      expect(log.errorMessage).toContain('not a valid number');
      expect(t.plivo.requests).toHaveLength(1);
    });

    it.each([404, 422])('Plivo %i → 400', async (status) => {
      t.plivo.failNext({ status });
      const { log } = await sendExpecting(400);
      expect(log.status).toBe('failed');
    });

    it.each([401, 403])(
      'Plivo %i → 502 (operator problem, never the caller’s 401)',
      async (status) => {
        t.plivo.failNext({ status });
        const { res, log } = await sendExpecting(502);
        expect(res.body.code).toBe('PLIVO_AUTH_FAILED');
        expect(log).toMatchObject({ status: 'failed', errorCode: 'PLIVO_AUTH_FAILED' });
        expect(t.plivo.requests).toHaveLength(1);
      },
    );

    it.each([
      [429, { status: 429 }],
      [502, { status: 502 }],
      [503, { status: 503 }],
    ])('Plivo %i on every attempt → retried, then 503 with Retry-After', async (_code, plan) => {
      t.plivo.failNext(plan, 3);
      const { res, log } = await sendExpecting(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(log).toMatchObject({ status: 'failed', attempts: 3 });
      expect(t.plivo.requests).toHaveLength(3);
    });

    it('Plivo 503 once, then success → 202 after a retry, attempts recorded', async () => {
      t.plivo.failNext({ status: 503 });
      const res = await request(t.baseUrl).post('/send-mms').send(SEED).expect(202);
      const log = await logs().findById(res.body.messageId).lean();
      expect(log).toMatchObject({ attempts: 2 });
      expect(log!.attemptLog.map((a) => a.outcome)).toEqual(['unavailable', 'ok']);
      expect(t.plivo.sentMessages).toHaveLength(1);
    });

    it('connection refused → 503 and a failed log (nothing reached Plivo)', async () => {
      const closed = await createTestApp({
        PLIVO_API_URL: 'http://127.0.0.1:1',
        PLIVO_MAX_RETRIES: '1',
      });
      try {
        const res = await request(closed.baseUrl).post('/send-mms').send(SEED).expect(503);
        expect(res.body.code).toBe('PLIVO_UNREACHABLE');
        const log = await closed.db
          .model<MessageLog>(MessageLog.name)
          .findById(res.body.messageId)
          .lean();
        expect(log).toMatchObject({
          status: 'failed',
          errorCode: 'PLIVO_UNREACHABLE',
          attempts: 2,
        });
      } finally {
        await closed.close();
      }
    });

    it.each(['timeout', 'reset'] as const)(
      '%s → 504, status unknown, never resent',
      async (mode) => {
        t.plivo.failNext({ mode });
        const { res, log } = await sendExpecting(504);
        expect(res.body.code).toBe('PLIVO_OUTCOME_UNKNOWN');
        expect(res.body.message).toMatch(/may have queued/);
        expect(log).toMatchObject({
          status: 'unknown',
          errorCode: 'PLIVO_OUTCOME_UNKNOWN',
          attempts: 1,
        });
        expect(t.plivo.requests).toHaveLength(1);
      },
    );

    it('Plivo queued it but the answer was lost → 504, not resent, and the signed callbacks (matched by ref) settle it', async () => {
      t.plivo.failNext({ mode: 'accept-then-hang' });
      const { res } = await sendExpecting(504);
      expect(res.body.code).toBe('PLIVO_OUTCOME_UNKNOWN');
      const log = await waitForStatus(res.body.messageId, 'delivered');
      expect(log.plivoMessageUuid).toBeUndefined();
      expect(log.statusHistory.map((h) => [h.status, h.source, h.applied])).toEqual(
        expect.arrayContaining([
          ['unknown', 'plivo-response', expect.any(Boolean)],
          ['delivered', 'plivo-callback', true],
        ]),
      );
      expect(t.plivo.requests).toHaveLength(1);
    });

    async function waitForStatus(id: string, status: string) {
      for (let i = 0; i < 100; i++) {
        const log = await logs().findById(id).lean();
        if (log?.status === status) return log;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`message ${id} never reached ${status}`);
    }

    it.each([
      ['JSON', undefined],
      ['HTML', '<html>oops</html>'],
    ])(
      'Plivo 500 (%s body) → 504 PLIVO_OUTCOME_UNKNOWN, log unknown, exactly one Plivo request, key kept',
      async (kind, body) => {
        // A 500 may come after Plivo queued the message: never resent, never "not sent".
        t.plivo.failNext({ status: 500, ...(body ? { body } : {}) }, 3);
        const res = await request(t.baseUrl)
          .post('/send-mms')
          .set('Idempotency-Key', `plivo-500-${kind}`)
          .send(SEED);
        expect(res.status).toBe(504);
        expect(res.body.code).toBe('PLIVO_OUTCOME_UNKNOWN');
        expect(res.body.message).toMatch(/Plivo internal error \(500\).*may have queued/);
        const log = await logs().findById(res.body.messageId).lean();
        expect(log).toMatchObject({
          status: 'unknown',
          errorCode: 'PLIVO_OUTCOME_UNKNOWN',
          attempts: 1,
        });
        expect(log!.attemptLog).toMatchObject([{ outcome: 'ambiguous', httpStatus: 500 }]);
        expect(t.plivo.requests).toHaveLength(1);
        // The key keeps the 504 (it is about the message): the same request is not sent again.
        const again = await request(t.baseUrl)
          .post('/send-mms')
          .set('Idempotency-Key', `plivo-500-${kind}`)
          .send(SEED)
          .expect(504);
        expect(again.headers['idempotent-replayed']).toBe('true');
        expect(t.plivo.requests).toHaveLength(1);
      },
    );

    it('Plivo 504 → 504 (ambiguous), not retried', async () => {
      t.plivo.failNext({ status: 504 }, 3);
      const { log } = await sendExpecting(504);
      expect(log.status).toBe('unknown');
      expect(t.plivo.requests).toHaveLength(1);
    });

    it('wrong credentials configured → 502, and the SDK error (with phone and text) is not echoed', async () => {
      const wrong = await createTestApp({ PLIVO_AUTH_TOKEN: 'not-the-token' });
      try {
        const res = await request(wrong.baseUrl)
          .post('/send-mms')
          .send({ ...SEED, messageText: 'secret text' })
          .expect(502);
        expect(JSON.stringify(res.body)).not.toContain('secret text');
        expect(JSON.stringify(res.body)).not.toContain('4157654321');
      } finally {
        await wrong.close();
      }
    });
  });
});
