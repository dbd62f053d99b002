import ipaddr from 'ipaddr.js';
import { lookup } from 'node:dns/promises';
import { AddressInfo, createServer } from 'node:net';
import { hostname } from 'node:os';
import request from 'supertest';
import { MessageLog } from '../../src/mms/message-log/message-log.schema';
import { UNREACHABLE } from '../../src/shared/outbound-address';
import { createTestApp, TestApp } from '../support/test-app';

const SEED = {
  destinationNumber: '+14157654321',
  messageText: 'Hello',
  mediaUrl: 'https://m.example.com/a.gif',
};
const KEY = 'reliability-key-0123456789';

describe('never lose a message, never send one twice (e2e)', () => {
  let t: TestApp;
  const logs = () => t.db.model<MessageLog>(MessageLog.name);
  const send = (body: object, headers: Record<string, string> = {}) =>
    request(t.baseUrl)
      .post('/send-mms')
      .set({ 'X-API-Key': KEY, ...headers })
      .send(body);

  beforeAll(async () => {
    t = await createTestApp({ API_KEYS: KEY, PLIVO_MAX_RETRIES: '1', PLIVO_TIMEOUT_MS: '600' });
  });
  beforeEach(async () => t.reset());
  afterAll(async () => t?.close());

  describe('Idempotency-Key', () => {
    it('same key and body after completion → the stored answer, Idempotent-Replayed, and no second Plivo call', async () => {
      const first = await send(SEED, { 'Idempotency-Key': 'order-1' }).expect(202);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      const again = await send(SEED, { 'Idempotency-Key': 'order-1' }).expect(202);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(t.plivo.sentMessages).toHaveLength(1);
      expect(await logs().countDocuments()).toBe(1);
    });

    it('the same body in another field order or as a form still replays', async () => {
      await send(SEED, { 'Idempotency-Key': 'order-2' }).expect(202);
      const reordered = {
        mediaUrl: SEED.mediaUrl,
        messageText: SEED.messageText,
        destinationNumber: SEED.destinationNumber,
      };
      await send(reordered, { 'Idempotency-Key': 'order-2' })
        .expect(202)
        .expect('Idempotent-Replayed', 'true');
      expect(t.plivo.sentMessages).toHaveLength(1);
    });

    it('same key, different body → 422, nothing sent', async () => {
      await send(SEED, { 'Idempotency-Key': 'order-3' }).expect(202);
      const res = await send(
        { ...SEED, messageText: 'Other' },
        { 'Idempotency-Key': 'order-3' },
      ).expect(422);
      expect(res.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(t.plivo.sentMessages).toHaveLength(1);
    });

    it('same key while the first is in flight → 409 with Retry-After; exactly one send', async () => {
      t.plivo.failNext({ delayMs: 500 });
      const first = send(SEED, { 'Idempotency-Key': 'order-4' }).then((r) => r);
      await t.plivo.waitFor((sim) => sim.requests.length === 1, 3000);
      const second = await send(SEED, { 'Idempotency-Key': 'order-4' }).expect(409);
      expect(second.headers['retry-after']).toBe('1');
      expect(second.body.code).toBe('IDEMPOTENCY_IN_FLIGHT');
      expect((await first).status).toBe(202);
      expect(t.plivo.sentMessages).toHaveLength(1);
    });

    it('20 concurrent requests with one key → one send, one log, the rest 409 or replays', async () => {
      t.plivo.failNext({ delayMs: 200 });
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => send(SEED, { 'Idempotency-Key': 'burst-1' })),
      );
      const statuses = answers.map((a) => a.status);
      expect(statuses.filter((s) => s === 202).length).toBeGreaterThanOrEqual(1);
      expect(statuses.every((s) => s === 202 || s === 409)).toBe(true);
      expect(t.plivo.sentMessages).toHaveLength(1);
      expect(await logs().countDocuments()).toBe(1);
    });

    it('keys are per client: another API key may use the same Idempotency-Key', async () => {
      const other = await createTestApp({ API_KEYS: `${KEY},another-key-0123456789` });
      try {
        await request(other.baseUrl)
          .post('/send-mms')
          .set({ 'X-API-Key': KEY, 'Idempotency-Key': 'shared' })
          .send(SEED)
          .expect(202);
        await request(other.baseUrl)
          .post('/send-mms')
          .set({ 'X-API-Key': 'another-key-0123456789', 'Idempotency-Key': 'shared' })
          .send(SEED)
          .expect(202)
          .expect((r) => expect(r.headers['idempotent-replayed']).toBeUndefined());
        expect(other.plivo.sentMessages).toHaveLength(2);
      } finally {
        await other.close();
      }
    });

    it('a failure that sent nothing frees the key; a retry with it succeeds once', async () => {
      t.plivo.failNext({ status: 503 }, 2);
      await send(SEED, { 'Idempotency-Key': 'order-5' }).expect(503);
      await send(SEED, { 'Idempotency-Key': 'order-5' })
        .expect(202)
        .expect((r) => expect(r.headers['idempotent-replayed']).toBeUndefined());
      await send(SEED, { 'Idempotency-Key': 'order-5' })
        .expect(202)
        .expect('Idempotent-Replayed', 'true');
      expect(t.plivo.sentMessages).toHaveLength(1);
    });

    it('an ambiguous 504 is kept: a retry with the key replays the 504 instead of sending again', async () => {
      t.plivo.failNext({ mode: 'timeout' });
      const first = await send(SEED, { 'Idempotency-Key': 'order-6' }).expect(504);
      const again = await send(SEED, { 'Idempotency-Key': 'order-6' }).expect(504);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body.messageId).toBe(first.body.messageId);
      expect(t.plivo.requests).toHaveLength(1);
    });

    it('an invalid body does not use the key up', async () => {
      await send({ ...SEED, destinationNumber: 'nope' }, { 'Idempotency-Key': 'order-7' }).expect(
        400,
      );
      await send(SEED, { 'Idempotency-Key': 'order-7' }).expect(202);
    });

    it('a key over 255 characters → 400', async () => {
      const res = await send(SEED, { 'Idempotency-Key': 'k'.repeat(256) }).expect(400);
      expect(res.body.code).toBe('INVALID_IDEMPOTENCY_KEY');
      await send(SEED, { 'Idempotency-Key': 'k'.repeat(255) }).expect(202);
      expect(t.plivo.sentMessages).toHaveLength(1);
    });

    it('IDEMPOTENCY_REQUIRED=true makes the header mandatory', async () => {
      const strict = await createTestApp({ IDEMPOTENCY_REQUIRED: 'true' });
      try {
        const res = await request(strict.baseUrl).post('/send-mms').send(SEED).expect(400);
        expect(res.body.code).toBe('IDEMPOTENCY_KEY_REQUIRED');
        await request(strict.baseUrl)
          .post('/send-mms')
          .set('Idempotency-Key', 'x-1')
          .send(SEED)
          .expect(202);
      } finally {
        await strict.close();
      }
    });
  });

  describe('media URL checks before Plivo is called', () => {
    it.each([
      ['http://localhost/a.gif'],
      ['http://sub.localhost/a.gif'],
      ['http://127.0.0.1/a.gif'],
      ['http://2130706433/a.gif'],
      ['http://0x7f.0.0.1/a.gif'],
      ['http://0177.0.0.1/a.gif'],
      ['http://10.0.0.5/a.gif'],
      ['http://172.16.3.4/a.gif'],
      ['http://192.168.1.1/a.gif'],
      ['http://169.254.169.254/latest/meta-data/'],
      ['http://100.64.0.1/a.gif'],
      ['http://0.0.0.0/a.gif'],
      ['http://224.0.0.1/a.gif'],
      ['http://[::1]/a.gif'],
      ['http://[::ffff:127.0.0.1]/a.gif'],
      ['http://[::ffff:a9fe:a9fe]/a.gif'],
      ['http://[fd00::1]/a.gif'],
      ['http://[fe80::1]/a.gif'],
      ['http://[64:ff9b::a00:1]/a.gif'],
      ['https://user:secret@m.example.com/a.gif'],
    ])(
      '%s → 400 MEDIA_URL_BLOCKED with the reason, under mediaUrl; no log, no Plivo call',
      async (url) => {
        const res = await send({ ...SEED, mediaUrl: url }).expect(400);
        // Numeric host encodings too: the DTO leaves every address to the policy.
        expect(res.body.code).toBe('MEDIA_URL_BLOCKED');
        expect(res.body.message).toContain(url);
        expect(res.body.errors).toEqual([
          { field: 'mediaUrl', messages: [expect.stringContaining(`${url}: `)] },
        ]);
        expect(t.plivo.requests).toHaveLength(0);
        expect(await logs().countDocuments()).toBe(0);
      },
    );

    it('public addresses and names pass', async () => {
      await send({
        ...SEED,
        mediaUrls: ['https://8.8.8.8/a.png', 'https://[2606:4700::1111]/b.png'],
      }).expect(202);
    });

    it('http is refused when MEDIA_ALLOW_HTTP=false', async () => {
      const strict = await createTestApp({ MEDIA_ALLOW_HTTP: 'false' });
      try {
        const res = await request(strict.baseUrl)
          .post('/send-mms')
          .send({ ...SEED, mediaUrl: 'http://m.example.com/a.gif' })
          .expect(400);
        expect(res.body.message).toMatch(/only https/);
        expect(strict.plivo.requests).toHaveLength(0);
      } finally {
        await strict.close();
      }
    });

    it('with MEDIA_PREFLIGHT=true, a host resolving to a private address is refused (422) and never connected to', async () => {
      // This machine's own name resolves (through /etc/hosts) to a non-public address; a media
      // server listens there and would serve a valid GIF, so only the resolver's check stops it.
      const host = hostname();
      const resolved = await lookup(host);
      expect([host, ipaddr.parse(resolved.address).range()]).not.toEqual([host, 'unicast']);
      let connections = 0;
      const media = createServer((socket) => {
        connections++;
        socket.end('HTTP/1.1 200 OK\r\nContent-Type: image/gif\r\nContent-Length: 1\r\n\r\nG');
      });
      await new Promise<void>((done) => media.listen(0, resolved.address, done));
      const { port } = media.address() as AddressInfo;
      const preflight = await createTestApp({ MEDIA_PREFLIGHT: 'true' });
      try {
        const res = await request(preflight.baseUrl)
          .post('/send-mms')
          .send({ ...SEED, mediaUrl: `http://${host}:${port}/a.gif` });
        expect(res.status).toBe(422);
        expect(res.body.code).toBe('MEDIA_NOT_DELIVERABLE');
        // The one text of every lookup or connection failure, naming no internal address.
        expect(res.body.message).toBe(`http://${host}:${port}/a.gif: ${UNREACHABLE}`);
        expect(connections).toBe(0);
        expect(preflight.plivo.requests).toHaveLength(0);
      } finally {
        await preflight.close();
        await new Promise((done) => media.close(done));
      }
    });
  });

  describe('destinations outside the US and Canada', () => {
    it('→ 422 MMS_UNSUPPORTED_DESTINATION, nothing logged or sent', async () => {
      const res = await send({ ...SEED, destinationNumber: '+447911123456' }).expect(422);
      expect(res.body.code).toBe('MMS_UNSUPPORTED_DESTINATION');
      expect(t.plivo.requests).toHaveLength(0);
      expect(await logs().countDocuments()).toBe(0);
    });

    it('with fallbackToSms: true → an SMS whose text carries the media links, on the same log', async () => {
      const res = await send({
        ...SEED,
        destinationNumber: '+447911123456',
        mediaUrls: ['https://m.example.com/b.png'],
        fallbackToSms: true,
      }).expect(202);
      expect(res.body).toMatchObject({
        channel: 'sms',
        fallbackReason: expect.stringMatching(/US and Canad/),
      });
      expect(t.plivo.sentMessages).toHaveLength(1);
      const body = t.plivo.sentMessages[0].body as Record<string, unknown>;
      expect(body).toMatchObject({
        type: 'sms',
        dst: '+447911123456',
        text: 'Hello\nhttps://m.example.com/a.gif\nhttps://m.example.com/b.png',
      });
      expect(body).not.toHaveProperty('media_urls');
      const log = await logs().findById(res.body.messageId).lean();
      expect(log).toMatchObject({
        channel: 'sms',
        fallbackReason: expect.any(String),
        mediaUrls: ['https://m.example.com/a.gif', 'https://m.example.com/b.png'],
      });
    });

    it('FALLBACK_TO_SMS=true makes fallback the default (form field "false" still refuses)', async () => {
      const lenient = await createTestApp({ FALLBACK_TO_SMS: 'true' });
      try {
        await request(lenient.baseUrl)
          .post('/send-mms')
          .send({ ...SEED, destinationNumber: '+447911123456' })
          .expect(202);
        await request(lenient.baseUrl)
          .post('/send-mms')
          .type('form')
          .send({ ...SEED, destinationNumber: '+447911123456', fallbackToSms: 'false' })
          .expect(422);
      } finally {
        await lenient.close();
      }
    });

    it('Plivo’s own 400 for a number that cannot receive MMS: 422 without fallback, an SMS with it', async () => {
      const refusal = {
        status: 400,
        body: { api_id: 'x', error: 'destination number is not MMS capable' },
      };
      t.plivo.failNext(refusal);
      const refused = await send(SEED).expect(422);
      expect(refused.body).toMatchObject({
        code: 'MMS_UNSUPPORTED_DESTINATION',
        messageId: expect.any(String),
      });
      expect((await logs().findById(refused.body.messageId).lean())!.status).toBe('failed');

      t.plivo.failNext(refusal);
      const fallback = await send({ ...SEED, fallbackToSms: true }).expect(202);
      expect(fallback.body.channel).toBe('sms');
      expect(t.plivo.requests.map((r) => (r.body as { type: string }).type)).toEqual([
        'mms',
        'mms',
        'sms',
      ]);
      const log = await logs().findById(fallback.body.messageId).lean();
      expect(log).toMatchObject({
        channel: 'sms',
        attempts: 2,
        status: expect.stringMatching(/queued|sent|delivered/),
      });
    });
  });
});
