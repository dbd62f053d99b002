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
      [500, { status: 500, body: '<html>oops</html>' }],
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
