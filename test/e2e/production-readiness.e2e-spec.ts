import request from 'supertest';
import { MessageLog } from '../../src/mms/message-log/message-log.schema';
import { PLIVO_WEBHOOK_ROUTES } from '../../src/mms/plivo/webhook-routes';
import { DisposableDatabase } from '../support/disposable-database';
import { postSigned } from '../support/plivo-signing';
import { startRedis } from '../support/redis-server';
import { createTestApp, TestApp } from '../support/test-app';
import { eventually } from '../support/eventually';

const KEY = 'test-key-0123456789abcdef';
const OTHER_KEY = 'second-key-0123456789abcdef';
const SEED = {
  destinationNumber: '+14157654321',
  messageText: 'Hello',
  mediaUrl: 'https://m.example.com/a.gif',
};

describe('production readiness (e2e)', () => {
  describe('API keys', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ API_KEYS: `${KEY},${OTHER_KEY}` });
    });
    beforeEach(async () => t.reset());
    afterAll(async () => t?.close());

    it.each([
      ['missing', {}, 'MISSING_API_KEY'],
      ['wrong', { 'X-API-Key': 'nope-nope-nope-nope' }, 'INVALID_API_KEY'],
      ['wrong bearer', { Authorization: 'Bearer nope-nope-nope' }, 'INVALID_API_KEY'],
      [
        'a valid key with one character changed',
        { 'X-API-Key': KEY.slice(0, -1) + 'X' },
        'INVALID_API_KEY',
      ],
    ])(
      '%s key → 401 JSON on POST /send-mms, and no Plivo call and no log',
      async (_n, headers, code) => {
        const res = await request(t.baseUrl).post('/send-mms').set(headers).send(SEED).expect(401);
        expect(res.body).toMatchObject({
          statusCode: 401,
          error: 'Unauthorized',
          code,
          requestId: expect.any(String),
        });
        expect(t.plivo.requests).toHaveLength(0);
        expect(await t.db.model(MessageLog.name).countDocuments()).toBe(0);
      },
    );

    it('GET /messages and /messages/:id need a key too', async () => {
      await request(t.baseUrl).get('/messages').expect(401);
      await request(t.baseUrl).get('/messages/665f1c2e9d3b4a0012345678').expect(401);
    });

    it('accepts X-API-Key and Authorization: Bearer, for each configured key', async () => {
      await request(t.baseUrl).post('/send-mms').set('X-API-Key', KEY).send(SEED).expect(202);
      await request(t.baseUrl)
        .post('/send-mms')
        .set('Authorization', `Bearer ${OTHER_KEY}`)
        .send(SEED)
        .expect(202);
      await request(t.baseUrl).get('/messages').set('X-API-Key', OTHER_KEY).expect(200);
    });

    it('health, docs and webhooks need no key', async () => {
      await request(t.baseUrl).get('/health').expect(200);
      await request(t.baseUrl).get('/health/live').expect(200);
      await request(t.baseUrl).get('/health/ready').expect(200);
      await request(t.baseUrl).get('/docs-json').expect(200);
      // A webhook without a key reaches the signature guard (403), not the API-key guard (401).
      await request(t.baseUrl)
        .post(PLIVO_WEBHOOK_ROUTES.status)
        .type('form')
        .send({ MessageUUID: 'x', Status: 'sent' })
        .expect(403);
      await postSigned(
        t.baseUrl,
        PLIVO_WEBHOOK_ROUTES.status,
        { MessageUUID: 'x', Status: 'sent' },
        { token: t.authToken },
      ).expect(200);
    });

    it('the OpenAPI document declares the API-key and bearer schemes on the client routes', async () => {
      const doc = (await request(t.baseUrl).get('/docs-json').expect(200)).body;
      expect(doc.components.securitySchemes['api-key']).toEqual({
        type: 'apiKey',
        in: 'header',
        name: 'X-API-Key',
      });
      expect(doc.components.securitySchemes.bearer).toMatchObject({
        type: 'http',
        scheme: 'bearer',
      });
      expect(doc.paths['/send-mms'].post.security).toEqual(
        expect.arrayContaining([{ 'api-key': [] }, { bearer: [] }]),
      );
      expect(doc.paths['/messages'].get.security).toEqual(
        expect.arrayContaining([{ 'api-key': [] }]),
      );
      expect(doc.paths['/health'].get.security).toBeUndefined();
    });
  });

  describe('throttling', () => {
    it('429 JSON with Retry-After and RateLimit headers after a small limit; health is exempt; webhooks have their own limit', async () => {
      const t = await createTestApp({
        API_KEYS: `${KEY},${OTHER_KEY}`,
        THROTTLE_LIMIT: '3',
        THROTTLE_TTL_MS: '60000',
      });
      try {
        for (let i = 0; i < 3; i++) {
          const ok = await request(t.baseUrl).get('/messages').set('X-API-Key', KEY).expect(200);
          expect(ok.headers['x-ratelimit-limit']).toBe('3');
          expect(ok.headers['x-ratelimit-remaining']).toBe(String(2 - i));
        }
        const limited = await request(t.baseUrl)
          .post('/send-mms')
          .set('X-API-Key', KEY)
          .send(SEED)
          .expect(429);
        expect(limited.body).toMatchObject({
          statusCode: 429,
          error: 'Too Many Requests',
          code: 'RATE_LIMITED',
          requestId: expect.any(String),
        });
        expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
        expect(limited.headers['x-ratelimit-limit']).toBe('3');
        expect(limited.headers['x-ratelimit-remaining']).toBe('0');
        expect(Number(limited.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
        expect(Number(limited.headers['x-ratelimit-reset'])).toBeLessThanOrEqual(60);
        expect(t.plivo.requests).toHaveLength(0);
        // Another key has its own bucket.
        await request(t.baseUrl).get('/messages').set('X-API-Key', OTHER_KEY).expect(200);
        // Made-up keys share their IP's bucket: rotating them does not escape the limit.
        for (let i = 0; i < 3; i++)
          await request(t.baseUrl)
            .get('/messages')
            .set('X-API-Key', `made-up-${i}-xxxxxxxxxx`)
            .expect(401);
        await request(t.baseUrl)
          .get('/messages')
          .set('X-API-Key', 'made-up-again-xxxxxxx')
          .expect(429);
        for (let i = 0; i < 10; i++) await request(t.baseUrl).get('/health/ready').expect(200);
        for (let i = 0; i < 10; i++)
          await postSigned(
            t.baseUrl,
            PLIVO_WEBHOOK_ROUTES.status,
            { MessageUUID: `u${i}`, Status: 'sent' },
            { token: t.authToken },
          ).expect(200);
      } finally {
        await t.close();
      }
    });

    it('the webhooks have their own limit, with the same header names and a 429 RATE_LIMITED', async () => {
      const t = await createTestApp({
        WEBHOOK_THROTTLE_LIMIT: '2',
        WEBHOOK_THROTTLE_TTL_MS: '60000',
      });
      try {
        const post = (i: number) =>
          postSigned(
            t.baseUrl,
            PLIVO_WEBHOOK_ROUTES.status,
            { MessageUUID: `u${i}`, Status: 'sent' },
            { token: t.authToken },
          );
        for (let i = 0; i < 2; i++) {
          const ok = await post(i).expect(200);
          expect(ok.headers['x-ratelimit-limit']).toBe('2');
          expect(ok.headers['x-ratelimit-remaining']).toBe(String(1 - i));
          expect(Object.keys(ok.headers).filter((h) => h.endsWith('-webhook'))).toEqual([]);
        }
        const limited = await post(2).expect(429);
        expect(limited.body).toMatchObject({
          statusCode: 429,
          code: 'RATE_LIMITED',
          requestId: expect.any(String),
        });
        expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
        expect(limited.headers['x-ratelimit-limit']).toBe('2');
        expect(limited.headers['x-ratelimit-remaining']).toBe('0');
        expect(Number(limited.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
        // Client routes keep their own bucket.
        await request(t.baseUrl).get('/messages').expect(200);
      } finally {
        await t.close();
      }
    });

    it("an unsigned flood does not use up the webhooks' limit: each is a 403, signed requests still pass, and are still limited", async () => {
      const t = await createTestApp({
        WEBHOOK_THROTTLE_LIMIT: '2',
        WEBHOOK_THROTTLE_TTL_MS: '60000',
      });
      try {
        const body = (i: number) => ({ MessageUUID: `u${i}`, Status: 'sent' });
        for (let i = 0; i < 5; i++) {
          const forged = await request(t.baseUrl)
            .post(PLIVO_WEBHOOK_ROUTES.status)
            .type('form')
            .set('X-Plivo-Signature-V3', 'Zm9yZ2Vk')
            .set('X-Plivo-Signature-V3-Nonce', `n${i}`)
            .send(body(i))
            .expect(403);
          expect(forged.body.code).toBe('INVALID_SIGNATURE');
        }
        const signed = (i: number) =>
          postSigned(t.baseUrl, PLIVO_WEBHOOK_ROUTES.status, body(i), { token: t.authToken });
        await signed(10).expect(200);
        await signed(11).expect(200);
        expect((await signed(12).expect(429)).body.code).toBe('RATE_LIMITED');
      } finally {
        await t.close();
      }
    });

    it('unsigned requests have their own, smaller limit per IP (WEBHOOK_UNSIGNED_THROTTLE_LIMIT): a flood is 429 after it, and signed requests still pass', async () => {
      const t = await createTestApp({
        WEBHOOK_THROTTLE_LIMIT: '2',
        WEBHOOK_UNSIGNED_THROTTLE_LIMIT: '3',
        WEBHOOK_THROTTLE_TTL_MS: '60000',
      });
      try {
        const body = (i: number) => ({ MessageUUID: `u${i}`, Status: 'sent' });
        const forged = (i: number) =>
          request(t.baseUrl)
            .post(PLIVO_WEBHOOK_ROUTES.inbound)
            .type('form')
            .set('X-Plivo-Signature-V3', 'Zm9yZ2Vk')
            .set('X-Plivo-Signature-V3-Nonce', `n${i}`)
            .send(body(i));
        const answers: [number, string][] = [];
        for (let i = 0; i < 6; i++) {
          const res = await forged(i);
          answers.push([res.status, res.body.code]);
        }
        expect(answers).toEqual([
          [403, 'INVALID_SIGNATURE'],
          [403, 'INVALID_SIGNATURE'],
          [403, 'INVALID_SIGNATURE'],
          [429, 'RATE_LIMITED'],
          [429, 'RATE_LIMITED'],
          [429, 'RATE_LIMITED'],
        ]);
        const limited = await forged(7).expect(429);
        expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
        // Each refusal is still counted (the flood shows on the dashboard), 429s included.
        const metrics = (await request(t.baseUrl).get('/metrics').expect(200)).text;
        expect(metrics).toMatch(/plivo_webhook_events_total\{[^}]*verdict="forged"[^}]*\} 7\b/);
        // Plivo's own requests from that address: their bucket is untouched.
        const signed = (i: number) =>
          postSigned(t.baseUrl, PLIVO_WEBHOOK_ROUTES.status, body(i), { token: t.authToken });
        await signed(10).expect(200);
        await signed(11).expect(200);
        expect((await signed(12).expect(429)).body.code).toBe('RATE_LIMITED');
      } finally {
        await t.close();
      }
    });

    it('one limit is shared by two app instances over one real Redis', async () => {
      const redis = await startRedis();
      const env = {
        API_KEYS: KEY,
        THROTTLE_LIMIT: '4',
        THROTTLE_TTL_MS: '60000',
        REDIS_URL: redis.url,
      };
      const a = await createTestApp(env);
      const b = await createTestApp(env);
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 6; i++) {
          const app = i % 2 === 0 ? a : b;
          statuses.push((await request(app.baseUrl).get('/messages').set('X-API-Key', KEY)).status);
        }
        expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
      } finally {
        await a.close();
        await b.close();
        await redis.stop();
      }
    });
  });

  describe('HTTP hardening', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ BODY_LIMIT: '2kb', CORS_ORIGINS: 'https://console.example.com' });
    });
    afterAll(async () => t?.close());

    it('a body over BODY_LIMIT → 413 JSON; nothing sent', async () => {
      const res = await request(t.baseUrl)
        .post('/send-mms')
        .send({ ...SEED, messageText: 'x'.repeat(4000) })
        .expect(413);
      expect(res.body).toMatchObject({
        statusCode: 413,
        error: 'Payload Too Large',
        code: 'PAYLOAD_TOO_LARGE',
        requestId: expect.any(String),
      });
      expect(t.plivo.requests).toHaveLength(0);
    });

    it('helmet headers are set and X-Powered-By is not', async () => {
      const res = await request(t.baseUrl).get('/health').expect(200);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['strict-transport-security']).toMatch(/max-age=/);
      expect(res.headers['content-security-policy']).toBeDefined();
      expect(res.headers['x-powered-by']).toBeUndefined();
    });

    it('CORS only for the configured origins', async () => {
      const allowed = await request(t.baseUrl)
        .options('/messages')
        .set('Origin', 'https://console.example.com')
        .set('Access-Control-Request-Method', 'GET');
      expect(allowed.headers['access-control-allow-origin']).toBe('https://console.example.com');
      const other = await request(t.baseUrl)
        .options('/messages')
        .set('Origin', 'https://evil.example.com')
        .set('Access-Control-Request-Method', 'GET');
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('docs can be switched off', async () => {
      const off = await createTestApp({ DOCS_ENABLED: 'false' });
      try {
        await request(off.baseUrl).get('/docs-json').expect(404);
        await request(off.baseUrl).get('/docs/pages/api.md').expect(404);
      } finally {
        await off.close();
      }
    });
  });

  describe('readiness follows the database, liveness does not', () => {
    it('/health/ready 503 when the database server stops mid-run, 200 after it restarts; /health/live stays 200', async () => {
      const database = new DisposableDatabase();
      const uri = await database.start();
      const t = await createTestApp({
        MONGODB_URI: uri,
        MONGODB_SERVER_SELECTION_TIMEOUT_MS: '500',
      });
      try {
        await request(t.baseUrl).get('/health/ready').expect(200);
        await database.stop();
        const down = await eventually(
          () => request(t.baseUrl).get('/health/ready'),
          (r) => r.status === 503,
          'ready to turn 503',
        );
        expect(down.body).toMatchObject({
          statusCode: 503,
          code: 'SERVICE_UNAVAILABLE',
          details: { mongodb: { status: 'down' } },
        });
        await request(t.baseUrl).get('/health/live').expect(200);
        // With the database down, a send answers 503 and Plivo is never called.
        const send = await request(t.baseUrl).post('/send-mms').send(SEED).expect(503);
        expect(send.body.code).toBe('DATABASE_UNAVAILABLE');
        expect(t.plivo.requests).toHaveLength(0);
        await database.start();
        await eventually(
          () => request(t.baseUrl).get('/health/ready'),
          (r) => r.status === 200,
          'ready to recover',
        );
        await request(t.baseUrl).get('/health/live').expect(200);
        await request(t.baseUrl).post('/send-mms').send(SEED).expect(202);
      } finally {
        await t.close();
        await database.destroy();
      }
    });
  });

  describe('metrics', () => {
    it('/metrics counts a send, a forged webhook, HTTP requests by route and Plivo call latency', async () => {
      const t = await createTestApp();
      try {
        await request(t.baseUrl).post('/send-mms').send(SEED).expect(202);
        await request(t.baseUrl)
          .post(PLIVO_WEBHOOK_ROUTES.status)
          .type('form')
          .send({ MessageUUID: 'x', Status: 'delivered' })
          .expect(403);
        const text = (await request(t.baseUrl).get('/metrics').expect(200)).text;
        expect(text).toMatch(
          /mms_messages_total\{outcome="queued",reason="ok",client="anonymous"\} 1/,
        );
        expect(text).toMatch(
          /plivo_webhook_events_total\{kind="status",status="unknown",verdict="forged"\} 1/,
        );
        expect(text).toMatch(
          /http_requests_total\{method="POST",route="\/send-mms",status="202"\} 1/,
        );
        expect(text).toMatch(/plivo_api_call_duration_seconds_count\{outcome="ok"\} 1/);
      } finally {
        await t.close();
      }
    });

    it('production: /metrics answers only the METRICS_TOKEN bearer (401 JSON otherwise); /docs is off', async () => {
      const token = 'metrics-token-0123456789abcdef';
      const t = await createTestApp({
        NODE_ENV: 'production',
        API_KEYS: KEY,
        METRICS_TOKEN: token,
        MEDIA_PREFLIGHT: 'false',
        // A fresh database: build the indexes at start, as outside production.
        MONGODB_AUTO_INDEX: 'true',
        MONGODB_REQUIRE_INDEXES: 'false',
      });
      try {
        for (const authorization of [undefined, 'Bearer wrong-token-0123456789', token]) {
          const req = request(t.baseUrl).get('/metrics');
          const res = await (authorization ? req.set('Authorization', authorization) : req);
          expect(res.status).toBe(401);
          expect(res.body).toMatchObject({
            statusCode: 401,
            code: 'METRICS_TOKEN_REQUIRED',
            requestId: expect.any(String),
          });
          expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
          expect(res.text).not.toMatch(/mms_messages_total/);
        }
        const ok = await request(t.baseUrl)
          .get('/metrics')
          .set('Authorization', `Bearer ${token}`)
          .expect(200);
        expect(ok.headers['content-type']).toMatch(/^text\/plain/);
        expect(ok.text).toMatch(/# TYPE mms_messages_total counter/);
        await request(t.baseUrl).get('/docs-json').expect(404);
        await request(t.baseUrl).get('/docs').expect(404);
      } finally {
        await t.close();
      }
    });

    it('METRICS_ENABLED=false hides /metrics', async () => {
      const t = await createTestApp({ METRICS_ENABLED: 'false' });
      try {
        await request(t.baseUrl).get('/metrics').expect(404);
      } finally {
        await t.close();
      }
    });
  });
});
