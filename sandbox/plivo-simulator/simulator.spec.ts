import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as plivo from 'plivo';
import { OptOutMemory } from './inbound';
import { plivoTime } from './signed-webhook';
import { PlivoSimulator, type CallbackAttempt } from './index';

/**
 * Everything goes through the real `plivo` SDK (4.79.0) so the simulator is checked against what
 * the SDK actually sends and how it reacts (plivo-node 4.79 `lib/rest/axios.js`), and signatures
 * are checked with the SDK's own validateV3Signature as the oracle.
 */

const AUTH_ID = 'MASIMULATOR000000001';
const AUTH_TOKEN = 'sim_auth_token_0123456789';
const SRC = '14155550100';
const DST = '14155550123';
const MEDIA = ['https://media.example.com/a.jpg', 'https://media.example.com/b.png'];
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Received {
  method: string;
  url: string;
  fullUrl: string;
  headers: IncomingHttpHeaders;
  params: Record<string, string>;
}

/** A tiny webhook receiver standing in for our gateway's callback endpoint. */
class Receiver {
  received: Received[] = [];
  /** Status to answer for the n-th request (0-based); 200 by default. */
  statusFor: (n: number) => number = () => 200;
  private server?: Server;
  base = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const fullUrl = `${this.base}${req.url ?? '/'}`;
        const params = Object.fromEntries(
          new URLSearchParams(req.method === 'GET' ? new URL(fullUrl).search : raw),
        );
        const n = this.received.length;
        this.received.push({
          method: req.method ?? '',
          url: req.url ?? '',
          fullUrl,
          headers: req.headers,
          params,
        });
        res.writeHead(this.statusFor(n), { 'Content-Type': 'text/plain' });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  statuses(): string[] {
    return this.received.map((r) => r.params.Status);
  }
}

function sdkClient(
  sim: PlivoSimulator,
  options: { timeout?: number; authId?: string; authToken?: string } = {},
) {
  const authId = options.authId ?? AUTH_ID;
  return new plivo.Client(authId, options.authToken ?? AUTH_TOKEN, {
    url: `${sim.baseUrl}/v1/Account/${authId}`,
    timeout: options.timeout,
  });
}

/** The value a promise rejects with; fails the test if it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

function basicAuth(id = AUTH_ID, token = AUTH_TOKEN): string {
  return `Basic ${Buffer.from(`${id}:${token}`).toString('base64')}`;
}

interface SdkMessageResponse {
  apiId: string;
  message: string;
  messageUuid: string[];
}
type SdkCreate = (
  src: string | null,
  dst: string | string[],
  text: string | undefined,
  optionalParams?: Record<string, unknown>,
  powerpackUUID?: string,
) => Promise<SdkMessageResponse>;

/**
 * client.messages.create with the SDK's real runtime contract (null src with a powerpack, dst
 * arrays), independent of whichever typings for 'plivo' are in effect in the project.
 */
function create(client: plivo.Client, ...args: Parameters<SdkCreate>): Promise<SdkMessageResponse> {
  return (client.messages as unknown as { create: SdkCreate }).create(...args);
}

function sendMms(client: plivo.Client, extra: Record<string, unknown> = {}, dst = DST) {
  return create(client, SRC, dst, 'hello', { type: 'mms', media_urls: [...MEDIA], ...extra });
}

describe('PlivoSimulator', () => {
  const sim = new PlivoSimulator({
    authId: AUTH_ID,
    authToken: AUTH_TOKEN,
    callbackDelayMs: 5,
    callbackRetryDelaysMs: [20, 20, 20],
  });
  const receiver = new Receiver();
  let client: plivo.Client;

  beforeAll(async () => {
    await sim.start();
    await receiver.start();
    client = sdkClient(sim);
  });

  beforeEach(() => {
    sim.reset();
    receiver.received = [];
    receiver.statusFor = () => 200;
  });

  afterAll(async () => {
    await sim.stop();
    await receiver.stop();
  });

  describe('Send Message API', () => {
    it('answers 202 with a uuid v4 and records what the SDK sent', async () => {
      const cb = `${receiver.base}/plivo/status?ref=abc`;
      const response = await sendMms(client, { url: cb, method: 'POST' });

      expect(response.message).toBe('message(s) queued');
      expect(response.apiId).toEqual(expect.any(String));
      expect(response.messageUuid).toHaveLength(1);
      expect(response.messageUuid[0]).toMatch(UUID_V4);

      expect(sim.requests).toHaveLength(1);
      const [record] = sim.requests;
      expect(record).toMatchObject({
        method: 'POST',
        path: `/v1/Account/${AUTH_ID}/Message/`,
        authorized: true,
        messageUuid: response.messageUuid[0],
        response: { status: 202 },
      });
      expect(record.body).toEqual({
        src: SRC,
        dst: DST,
        text: 'hello',
        type: 'mms',
        media_urls: MEDIA,
        url: cb,
        method: 'POST',
      });
      expect(record.headers['content-type']).toContain('application/json');
      expect(record.headers['user-agent']).toMatch(/^plivo-node\//);
      expect(sim.sentMessages).toEqual([record]);
    });

    it('accepts a powerpack_uuid instead of src, and form-encoded bodies with comma-separated media_urls', async () => {
      const viaPowerpack = await create(client, null, DST, 'hi', { type: 'sms' }, 'pp-uuid-1');
      expect(viaPowerpack.messageUuid[0]).toMatch(UUID_V4);
      expect(sim.requests[0].body).toMatchObject({ powerpack_uuid: 'pp-uuid-1', dst: DST });

      const form = new URLSearchParams({
        src: SRC,
        dst: `+${DST}`,
        type: 'mms',
        media_urls: MEDIA.join(','),
      });
      const res = await fetch(`${sim.baseUrl}/v1/Account/${AUTH_ID}/Message`, {
        method: 'POST',
        headers: {
          Authorization: basicAuth(),
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: form.toString(),
      });
      expect(res.status).toBe(202);
      const body = (await res.json()) as { message_uuid: string[] };
      expect(body.message_uuid[0]).toMatch(UUID_V4);
      expect(sim.sentMessages).toHaveLength(2);
    });

    it('creates one message per destination when dst lists several joined with "<"', async () => {
      const response = await create(client, SRC, [DST, '14155550124'], 'hi');
      expect(response.messageUuid).toHaveLength(2);
      expect(sim.requests[0].body).toMatchObject({ dst: `${DST}<14155550124` });
      expect(sim.requests[0].messageUuids).toEqual(response.messageUuid);
    });

    it('rejects bad credentials with 401, which the SDK surfaces as err.status 401', async () => {
      const err = (await rejectionOf(sendMms(sdkClient(sim, { authToken: 'wrong' })))) as Record<
        string,
        unknown
      >;
      expect(err).toBeInstanceOf(Error);
      expect(err.status).toBe(401);
      expect(err.message).toBe('Authentication failed');
      expect(err.apiID).toEqual(expect.any(String));
      expect(sim.requests[0]).toMatchObject({ authorized: false, response: { status: 401 } });
      expect(sim.sentMessages).toHaveLength(0);
    });

    it('rejects a wrong authId in the path even with valid credentials', async () => {
      const res = await fetch(`${sim.baseUrl}/v1/Account/MAOTHER/Message/`, {
        method: 'POST',
        headers: { Authorization: basicAuth(), 'Content-Type': 'application/json' },
        body: JSON.stringify({ src: SRC, dst: DST, text: 'x' }),
      });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({
        api_id: expect.any(String),
        error: 'Authentication failed',
      });
    });

    it.each([
      ['no media for mms', { type: 'mms' }, /media_urls or media_ids/],
      [
        '11 attachments',
        { type: 'mms', media_urls: [...MEDIA, ...MEDIA, ...MEDIA], media_ids: Array(5).fill('m') },
        /at most 10/,
      ],
      [
        'mms text over 1600 chars',
        { type: 'mms', media_urls: MEDIA, text: 'x'.repeat(1601) },
        /1600/,
      ],
      ['a non-numeric dst', { type: 'sms', dst: 'not-a-number' }, /invalid dst/],
      ['a too short dst', { type: 'sms', dst: '1234567' }, /invalid dst/],
      ['an unknown type', { type: 'fax' }, /invalid type/],
      ['message_expiry under 5 s', { type: 'sms', message_expiry: 4 }, /invalid message_expiry/],
      ['message_expiry of 3 h', { type: 'sms', message_expiry: 10800 }, /between 5 and 10799/],
      ['a fractional message_expiry', { type: 'sms', message_expiry: 12.5 }, /message_expiry/],
      ['a non-numeric message_expiry', { type: 'sms', message_expiry: 'soon' }, /message_expiry/],
    ])(
      'answers 400 {api_id, error} for %s (SDK: err.status 400)',
      async (_name, params, message) => {
        const { dst = DST, text = 'hello', ...rest } = params as Record<string, unknown>;
        const err = (await rejectionOf(
          create(client, SRC, dst as string, text as string, rest),
        )) as Record<string, unknown>;
        expect(err.status).toBe(400);
        expect(err.message).toMatch(message);
        expect(sim.requests[0].response).toMatchObject({
          status: 400,
          body: { api_id: expect.any(String) },
        });
        expect(sim.sentMessages).toHaveLength(0);
      },
    );

    it('accepts exactly 10 attachments and 1600 chars of mms text', async () => {
      const tenUrls = Array.from({ length: 8 }, (_, i) => `https://media.example.com/${i}.jpg`);
      await expect(
        create(client, SRC, DST, 'y'.repeat(1600), {
          type: 'mms',
          media_urls: tenUrls,
          media_ids: ['m1', 'm2'],
        }),
      ).resolves.toMatchObject({ message: 'message(s) queued' });
    });

    it('answers 404 JSON on unknown routes', async () => {
      const res = await fetch(`${sim.baseUrl}/v1/Account/${AUTH_ID}/Nope/`, {
        headers: { Authorization: basicAuth() },
      });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(await res.json()).toEqual({ api_id: expect.any(String), error: 'not found' });
      expect(sim.requests[0].response).toMatchObject({ status: 404 });
    });
  });

  describe('failure injection (SDK reactions, plivo-node 4.79 lib/rest/axios.js)', () => {
    it('429 → plain Error "…status code 429" without status', async () => {
      sim.failNext({ status: 429, headers: { 'Retry-After': '1' } });
      const err = (await rejectionOf(sendMms(client))) as Record<string, unknown>;
      expect(err).toBeInstanceOf(Error);
      expect(err.message).toContain('status code 429');
      expect(err.status).toBeUndefined();
      expect(sim.requests[0].response).toMatchObject({
        status: 429,
        body: { error: 'Too Many Requests' },
      });
      expect(sim.sentMessages).toHaveLength(0);
    });

    it('500 with an HTML body → Error with status 500 and the raw text as message', async () => {
      const html = '<html><body><h1>502 Bad Gateway</h1></body></html>';
      sim.failNext({ status: 500, body: html });
      const err = (await rejectionOf(sendMms(client))) as Record<string, unknown>;
      expect(err.status).toBe(500);
      expect(err.message).toBe(html);
    });

    it('500 with the default JSON body → Error with status 500 and body.error as message', async () => {
      sim.failNext({ status: 500 });
      const err = (await rejectionOf(sendMms(client))) as Record<string, unknown>;
      expect(err.status).toBe(500);
      expect(err.message).toBe('Internal Server Error');
      expect(err.apiID).toEqual(expect.any(String));
    });

    it('503 JSON → plain Error with the status only in the message', async () => {
      sim.failNext({ status: 503 });
      const err = (await rejectionOf(sendMms(client))) as Record<string, unknown>;
      expect(err.message).toContain('status code 503');
      expect(err.status).toBeUndefined();
    });

    it('timeout → the SDK (with its timeout option) rejects with a string; nothing was created', async () => {
      sim.failNext({ mode: 'timeout' });
      const rejected = await rejectionOf(sendMms(sdkClient(sim, { timeout: 150 })));
      expect(typeof rejected).toBe('string');
      expect(rejected).toMatch(/timeout/i);
      expect(sim.requests[0].response).toBe('timeout');
      expect(sim.sentMessages).toHaveLength(0);
    });

    it('reset → the SDK rejects (with a string: no HTTP response)', async () => {
      sim.failNext({ mode: 'reset' });
      const rejected = await rejectionOf(sendMms(client));
      expect(typeof rejected).toBe('string');
      expect(rejected).toMatch(/socket hang up|ECONNRESET/);
      expect(sim.requests[0].response).toBe('reset');
    });

    it('accept-then-hang → the client times out, but the message exists and its callbacks arrive', async () => {
      sim.failNext({ mode: 'accept-then-hang' });
      const cb = `${receiver.base}/plivo/status`;
      const rejected = await rejectionOf(sendMms(sdkClient(sim, { timeout: 150 }), { url: cb }));
      expect(typeof rejected).toBe('string');
      expect(sim.requests[0].response).toBe('timeout');
      const uuid = sim.sentMessages[0]?.messageUuid;
      expect(uuid).toMatch(UUID_V4);
      await sim.waitFor(() => receiver.received.length === 3);
      expect(receiver.received.every((r) => r.params.MessageUUID === uuid)).toBe(true);
    });

    it('delayMs alone → a slow but successful answer', async () => {
      sim.failNext({ delayMs: 120 });
      const started = Date.now();
      await expect(sendMms(client)).resolves.toMatchObject({ message: 'message(s) queued' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    });

    it('delayMs combined with a status delays that status', async () => {
      sim.failNext({ status: 500, delayMs: 100 });
      const started = Date.now();
      const err = (await rejectionOf(sendMms(client))) as Record<string, unknown>;
      expect(err.status).toBe(500);
      expect(Date.now() - started).toBeGreaterThanOrEqual(80);
    });

    it('consumes one plan per request, `times` times, then answers normally', async () => {
      sim.failNext({ status: 500 }, 2);
      sim.failNext({ status: 429 });
      const outcomes = [];
      for (let i = 0; i < 4; i++) {
        outcomes.push(
          await sendMms(client).then(
            () => 202,
            (e: { status?: number }) => e.status ?? 'plain',
          ),
        );
      }
      expect(outcomes).toEqual([500, 500, 'plain', 202]);
    });

    it('setLatency adds latency to every answer; reset() clears plans, records and latency', async () => {
      sim.setLatency(100);
      const started = Date.now();
      await sendMms(client);
      expect(Date.now() - started).toBeGreaterThanOrEqual(80);

      // A latency no busy machine could mistake for scheduling delay: if reset() kept it, the
      // answer would take 20 s; the bound below leaves a loaded CI runner seconds of slack.
      sim.setLatency(20000);
      sim.failNext({ status: 500 }, 3);
      sim.reset();
      expect(sim.requests).toEqual([]);
      const quick = Date.now();
      await expect(sendMms(client)).resolves.toBeDefined();
      expect(Date.now() - quick).toBeLessThan(5000);
    });
  });

  describe('status callbacks', () => {
    const validate = (r: Received, method: 'GET' | 'POST' = 'POST') =>
      plivo.validateV3Signature(
        method,
        r.fullUrl,
        String(r.headers['x-plivo-signature-v3-nonce']),
        AUTH_TOKEN,
        String(r.headers['x-plivo-signature-v3']),
        method === 'POST' ? r.params : {},
      ) === true;

    it('POSTs queued → sent → delivered, form-encoded, with Plivo params and a valid V3 signature', async () => {
      const cb = `${receiver.base}/plivo/status?ref=order-42`;
      const { messageUuid } = await sendMms(client, { url: cb, method: 'POST' });
      await sim.waitFor(() => sim.callbacks.length >= 3);

      expect(receiver.statuses()).toEqual(['queued', 'sent', 'delivered']);
      receiver.received.forEach((r, i) => {
        expect(r.method).toBe('POST');
        expect(r.url).toBe('/plivo/status?ref=order-42');
        expect(r.headers['content-type']).toContain('application/x-www-form-urlencoded');
        expect(String(r.headers['x-plivo-signature-v3-nonce'])).toMatch(/^\d{20}$/);
        expect({ params: r.params, valid: validate(r) }).toMatchObject({ valid: true });
        expect(r.params).toMatchObject({
          MessageUUID: messageUuid[0],
          ParentMessageUUID: messageUuid[0],
          To: DST,
          From: SRC,
          Type: 'mms',
          Sequence: String(i + 1),
          Units: '1',
          TotalRate: '0.02000',
          TotalAmount: '0.02000',
          MCC: '310',
          MNC: '004',
          PartInfo: '1 of 1',
          MessageTime: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/),
          QueuedTime: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/),
        });
        expect(r.params.ErrorCode).toBeUndefined();
      });
      const [queued, sent, delivered] = receiver.received.map((r) => r.params);
      expect(queued.SentTime).toBeUndefined();
      expect(sent.SentTime).toMatch(/^\d{4}-\d{2}-\d{2} /);
      expect(delivered.DeliveryReportTime).toMatch(/^\d{4}-\d{2}-\d{2} /);

      // The oracle really checks something: a tampered param or URL fails.
      expect(
        validate({
          ...receiver.received[0],
          params: { ...receiver.received[0].params, Status: 'delivered' },
        }),
      ).toBe(false);
      expect(
        validate({ ...receiver.received[0], fullUrl: `${receiver.base}/plivo/status?ref=other` }),
      ).toBe(false);
      expect(
        sim.callbacks.map((c: CallbackAttempt) => [c.params.Status, c.status, c.attempt]),
      ).toEqual([
        ['queued', 200, 1],
        ['sent', 200, 1],
        ['delivered', 200, 1],
      ]);
    });

    it('ends with failed + ErrorCode 50 for a destination ending in 0000', async () => {
      await sendMms(client, { url: `${receiver.base}/cb` }, '14155550000');
      await sim.waitFor(() => receiver.received.length >= 3);
      expect(receiver.statuses()).toEqual(['queued', 'sent', 'failed']);
      expect(receiver.received[2].params.ErrorCode).toBe('50');
      expect(receiver.received[2].params.DeliveryReportTime).toBeDefined();
      expect(validate(receiver.received[2])).toBe(true);
    });

    it('sends GET callbacks as a query string, signed so the SDK validates them', async () => {
      await create(client, SRC, DST, 'sms text', {
        url: `${receiver.base}/cb?ref=a+b`,
        method: 'GET',
      });
      await sim.waitFor(() => receiver.received.length >= 3);
      expect(receiver.statuses()).toEqual(['queued', 'sent', 'delivered']);
      for (const r of receiver.received) {
        expect(r.method).toBe('GET');
        expect(r.params).toMatchObject({ ref: 'a b', Type: 'sms', To: DST });
        expect({ url: r.fullUrl, valid: validate(r, 'GET') }).toEqual({
          url: r.fullUrl,
          valid: true,
        });
      }
    });

    it('retries a callback answered with 500', async () => {
      receiver.statusFor = (n) => (n === 0 ? 500 : 200);
      await sendMms(client, { url: `${receiver.base}/cb` });
      await sim.waitFor(() => sim.callbacks.length >= 4);
      const queuedAttempts = sim.callbacks.filter((c) => c.params.Status === 'queued');
      expect(queuedAttempts.map((c) => [c.status, c.attempt])).toEqual([
        [500, 1],
        [200, 2],
      ]);
      const queuedReceived = receiver.received.filter((r) => r.params.Status === 'queued');
      expect(queuedReceived).toHaveLength(2);
      expect(queuedReceived[0].headers['x-plivo-signature-v3-nonce']).not.toBe(
        queuedReceived[1].headers['x-plivo-signature-v3-nonce'],
      );
      expect(queuedReceived.every((r) => validate(r))).toBe(true);
    });

    it('records network errors and stops after 3 retries, without unhandled rejections', async () => {
      const closed = new Receiver();
      await closed.start();
      await closed.stop(); // nothing listens there any more
      await sendMms(client, { url: `${closed.base}/cb` });
      await sim.waitFor(() => sim.callbacks.length >= 12, 3000);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const queued = sim.callbacks.filter((c) => c.params.Status === 'queued');
      expect(queued.map((c) => [c.status, c.attempt])).toEqual([
        ['error', 1],
        ['error', 2],
        ['error', 3],
        ['error', 4],
      ]);
      expect(sim.callbacks).toHaveLength(12);
    });

    it('sends no callbacks without a url, and reset() cancels pending ones', async () => {
      const slow = new PlivoSimulator({
        authId: AUTH_ID,
        authToken: AUTH_TOKEN,
        callbackDelayMs: 50,
      });
      await slow.start();
      try {
        await sendMms(sdkClient(slow));
        await sendMms(sdkClient(slow), { url: `${receiver.base}/cb` });
        slow.reset();
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(receiver.received).toHaveLength(0);
        expect(slow.callbacks).toHaveLength(0);
      } finally {
        await slow.stop();
      }
    });
  });

  describe("rates and queue expiry (Plivo's queue, off by default)", () => {
    const destinations = (n: number) => Array.from({ length: n }, (_, i) => `1415555${1001 + i}`);
    /** One request, so every message is accepted at the same instant. */
    const burstMms = (n: number, extra: Record<string, unknown> = {}) =>
      create(client, SRC, destinations(n), 'hello', {
        type: 'mms',
        media_urls: [...MEDIA],
        url: `${receiver.base}/cb`,
        ...extra,
      });
    const statusesOf = (uuid: string) =>
      receiver.received.filter((r) => r.params.MessageUUID === uuid).map((r) => r.params);
    const sinceAccepted = (at: Date | undefined, i: number) =>
      at === undefined ? undefined : at.getTime() - sim.messages[i].acceptedAt.getTime();

    it('off by default: a burst is sent at once, as before', async () => {
      expect(sim.rates).toBeNull();
      const { messageUuid } = await burstMms(10);
      await sim.waitFor(() => sim.callbacks.length === 30);
      expect(sim.messages.map((m) => m.uuid)).toEqual(messageUuid);
      for (const [i, uuid] of messageUuid.entries()) {
        expect(statusesOf(uuid).map((p) => p.Status)).toEqual(['queued', 'sent', 'delivered']);
        expect(sim.messages[i].departure).toBeUndefined();
        expect(sim.messages[i].expiredAt).toBeUndefined();
        expect(sinceAccepted(sim.messages[i].sentAt, i)).toBeLessThan(1000);
      }
    });

    it('a burst of 10 MMS from one number at 10/s is sent 100 ms apart, each after its queued callback', async () => {
      sim.setRates({ senderMmsPerSecond: 10 });
      const { messageUuid } = await burstMms(10);
      await sim.waitFor(() => sim.callbacks.length === 30, 5000);

      expect(sim.messages.map((m, i) => sinceAccepted(m.sentAt, i))).toEqual([
        0, 100, 200, 300, 400, 500, 600, 700, 800, 900,
      ]);
      expect(Date.now() - sim.messages[0].acceptedAt.getTime()).toBeGreaterThanOrEqual(900);
      for (const [i, uuid] of messageUuid.entries()) {
        const message = sim.messages[i];
        const [queued, sent, delivered] = statusesOf(uuid);
        expect([queued.Status, sent.Status, delivered.Status]).toEqual([
          'queued',
          'sent',
          'delivered',
        ]);
        expect(sent.SentTime).toBe(plivoTime(message.sentAt as Date));
        const attempts = sim.callbacks.filter((c) => c.params.MessageUUID === uuid);
        // Never announced early: `sent` goes out at or after the slot (the timer may lag).
        expect(attempts[1].at.getTime()).toBeGreaterThanOrEqual((message.sentAt as Date).getTime());
      }
      // While the last one waited in the queue, it had had its `queued` callback.
      const last = sim.callbacks.filter((c) => c.params.MessageUUID === messageUuid[9]);
      expect(last[0].at.getTime()).toBeLessThan((sim.messages[9].sentAt as Date).getTime());
    });

    it('a burst that overruns a 300 ms queue expiry: its tail fails with 420 at the expiry, never sent', async () => {
      sim.setRates({ senderMmsPerSecond: 5, queueExpiryMs: 300 });
      const { messageUuid } = await burstMms(5);
      await sim.waitFor(() => sim.callbacks.length === 2 * 3 + 3 * 2, 5000);

      expect(
        sim.messages.map((m, i) => [sinceAccepted(m.sentAt, i), sinceAccepted(m.expiredAt, i)]),
      ).toEqual([
        [0, undefined],
        [200, undefined],
        [undefined, 300],
        [undefined, 300],
        [undefined, 300],
      ]);
      for (const uuid of messageUuid.slice(0, 2))
        expect(statusesOf(uuid).map((p) => p.Status)).toEqual(['queued', 'sent', 'delivered']);
      for (const [i, uuid] of messageUuid.entries()) {
        if (i < 2) continue;
        const params = statusesOf(uuid);
        expect(params.map((p) => [p.Status, p.Sequence, p.ErrorCode])).toEqual([
          ['queued', '1', undefined],
          ['failed', '2', '420'],
        ]);
        const failed = sim.callbacks.find(
          (c) => c.params.MessageUUID === uuid && c.params.Status === 'failed',
        );
        expect(failed?.at.getTime()).toBeGreaterThanOrEqual(
          (sim.messages[i].expiredAt as Date).getTime(),
        );
      }
    });

    it('message_expiry reaches the queue: a message that would wait longer fails at its expiry', async () => {
      sim.setRates({ accountMmsPerSecond: 0.1 }); // one MMS every 10 s
      await burstMms(2, { message_expiry: 5 });
      await sendMms(client);
      const accepted = (i: number) => sim.messages[i].acceptedAt.getTime();
      expect(sim.messages.map((m) => m.messageExpirySeconds)).toEqual([5, 5, undefined]);
      expect(sim.messages.map((m) => m.departure)).toEqual([
        { outcome: 'sent', at: accepted(0) },
        { outcome: 'expired', at: accepted(1) + 5000 },
        // Without message_expiry it waits its turn (the queue's limit is 3 h).
        { outcome: 'sent', at: accepted(0) + 10_000 },
      ]);
      // Decided, but not yet come: neither sent nor expired until its time.
      expect([sim.messages[1].expiredAt, sim.messages[2].sentAt]).toEqual([undefined, undefined]);
    });

    it("POST /_sim/rates sets them, GET /_sim/messages lists the times, reset() restores the constructor's", async () => {
      const control = (path: string, body?: unknown) =>
        fetch(`${sim.baseUrl}/_sim/${path}`, {
          method: body === undefined ? 'GET' : 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        }).then(async (res) => ({
          status: res.status,
          body: (await res.json()) as Record<string, unknown>,
        }));

      expect(await control('rates', { senderMmsPerSecond: -1 })).toEqual({
        status: 400,
        body: { error: 'senderMmsPerSecond must be a positive number' },
      });
      expect(sim.rates).toBeNull();
      const rates = { senderMmsPerSecond: 20, queueExpiryMs: 60_000 };
      expect(await control('rates', rates)).toEqual({ status: 200, body: { rates } });
      expect(await control('rates')).toEqual({ status: 200, body: { rates } });
      expect(sim.rates).toEqual(rates);

      // No callback url: it still leaves the queue at its slot.
      await create(client, SRC, destinations(2), 'hello', { type: 'mms', media_urls: [...MEDIA] });
      await sim.waitFor(() => sim.messages.every((m) => m.sentAt));
      const { body } = await control('messages');
      expect(body.messages).toEqual(
        sim.messages.map((m) => ({
          uuid: m.uuid,
          src: SRC,
          dst: m.dst,
          type: 'mms',
          acceptedAt: m.acceptedAt.toISOString(),
          sentAt: m.sentAt?.toISOString(),
          expiredAt: null,
          messageExpirySeconds: null,
          departure: { outcome: 'sent', at: m.sentAt?.toISOString() },
        })),
      );
      expect(sinceAccepted(sim.messages[1].sentAt, 1)).toBe(50);

      expect(await control('rates', null)).toEqual({ status: 200, body: { rates: null } });
      sim.setRates(rates);
      sim.reset();
      expect(sim.rates).toBeNull();
      const paced = new PlivoSimulator({ authId: AUTH_ID, authToken: AUTH_TOKEN, rates });
      paced.setRates(null);
      paced.reset();
      expect(paced.rates).toEqual(rates);
    });
  });

  describe('inbound simulation', () => {
    it('POSTs a signed inbound MMS webhook (Body, MediaCount, Media0..n-1) and resolves to the status', async () => {
      receiver.statusFor = () => 204;
      const status = await sim.sendInbound({
        url: `${receiver.base}/inbound?tenant=t1`,
        from: DST,
        to: SRC,
        text: 'pic',
        mediaUrls: MEDIA,
      });
      expect(status).toBe(204);
      const [r] = receiver.received;
      expect(r.params).toMatchObject({
        MessageUUID: expect.stringMatching(UUID_V4),
        From: DST,
        To: SRC,
        Type: 'mms',
        Body: 'pic',
        MediaCount: '2',
        Media0: MEDIA[0],
        Media1: MEDIA[1],
        Units: '1',
      });
      expect(r.params.Text).toBeUndefined();
      expect(validate(r)).toBe(true);
    });

    it('uses Text for inbound SMS', async () => {
      await expect(
        sim.sendInbound({ url: `${receiver.base}/inbound`, from: DST, to: SRC, text: 'STOP' }),
      ).resolves.toBe(200);
      expect(receiver.received[0].params).toMatchObject({ Type: 'sms', Text: 'STOP' });
      expect(receiver.received[0].params.Body).toBeUndefined();
    });

    it.each([
      ['Stop.', undefined, 'optout'],
      ['unsubscribe', undefined, 'optout'],
      ['yes', undefined, 'optin'],
      [' INFO ', undefined, 'help'],
      ['stop please', undefined, undefined],
      ['please no more', 'optout', 'optout'],
      ['STOP', '', undefined],
    ])('text %j (intent %j) → MessageIntent %j, like Plivo', async (text, intent, expected) => {
      await sim.sendInbound({ url: `${receiver.base}/inbound`, from: DST, to: SRC, text, intent });
      expect(receiver.received[0].params.MessageIntent).toBe(expected);
      expect(validate(receiver.received[0])).toBe(true);
    });

    it('POST /sandbox/inbound derives MessageIntent, and passes an explicit intent', async () => {
      const withInbound = new PlivoSimulator({
        authId: AUTH_ID,
        authToken: AUTH_TOKEN,
        inboundUrl: `${receiver.base}/inbound`,
      });
      const base = await withInbound.start();
      try {
        const post = (body: unknown) =>
          fetch(`${base}/sandbox/inbound`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify(body),
          });
        expect((await post({ from: DST, text: 'help', type: 'sms' })).status).toBe(200);
        expect(
          (await post({ from: DST, text: 'no more', type: 'sms', intent: 'optout' })).status,
        ).toBe(200);
        expect(receiver.received.map((r) => [r.params.Text, r.params.MessageIntent])).toEqual([
          ['help', 'help'],
          ['no more', 'optout'],
        ]);
      } finally {
        await withInbound.stop();
      }
    });

    function validate(r: Received): boolean {
      return (
        plivo.validateV3Signature(
          'POST',
          r.fullUrl,
          String(r.headers['x-plivo-signature-v3-nonce']),
          AUTH_TOKEN,
          String(r.headers['x-plivo-signature-v3']),
          r.params,
        ) === true
      );
    }
  });

  describe('OptOutMemory (what Plivo remembers of STOP/START)', () => {
    const US = '+14155550100';
    const THEM = '+14155550123';
    afterEach(() => jest.useRealTimers());

    it('after STOP: the first send within 5 minutes goes through (the confirmation), then error 200', () => {
      const memory = new OptOutMemory();
      expect(memory.failureFor(US, THEM)).toBeUndefined();
      memory.observe({ from: THEM, to: US, text: ' Stop. ' });
      expect(memory.failureFor(US, THEM)).toBeUndefined();
      expect(memory.failureFor(US, THEM)).toBe('200');
      // Digits only: Plivo's numbers come without '+'. Another of our numbers is not affected.
      expect(memory.failureFor(US.slice(1), THEM.slice(1))).toBe('200');
      expect(memory.failureFor('+14155550199', THEM)).toBeUndefined();
    });

    it('no confirmation slot once 5 minutes have passed since the STOP', () => {
      jest.useFakeTimers({ now: new Date('2025-01-01T00:00:00Z') });
      const memory = new OptOutMemory();
      memory.observe({ from: THEM, to: US, text: 'STOP' });
      jest.setSystemTime(new Date('2025-01-01T00:05:00Z'));
      expect(memory.failureFor(US, THEM)).toBe('200');
    });

    it('START (or intent optin) clears it; an explicit intent counts whatever the text; reset forgets', () => {
      const memory = new OptOutMemory();
      memory.observe({ from: THEM, to: US, text: 'please no more', intent: 'optout' });
      memory.failureFor(US, THEM);
      expect(memory.failureFor(US, THEM)).toBe('200');
      memory.observe({ from: THEM, to: US, text: 'yes' });
      expect(memory.failureFor(US, THEM)).toBeUndefined();
      memory.observe({ from: THEM, to: US, text: 'STOP' });
      memory.observe({ from: THEM, to: US, text: 'anything', intent: 'optin' });
      expect(memory.failureFor(US, THEM)).toBeUndefined();
      memory.observe({ from: THEM, to: US, text: 'STOP' });
      memory.failureFor(US, THEM);
      memory.reset();
      expect(memory.failureFor(US, THEM)).toBeUndefined();
      memory.observe({ from: THEM, to: US, text: 'help' });
      expect(memory.failureFor(US, THEM)).toBeUndefined();
    });
  });

  describe('lifecycle', () => {
    it('waitFor resolves to the predicate value and rejects after the timeout', async () => {
      await expect(sim.waitFor(() => 'yes', 50)).resolves.toBe('yes');
      await expect(sim.waitFor(() => false, 30)).rejects.toThrow(/within 30 ms/);
    });

    it('stop() ends held requests and pending callbacks so nothing keeps the process alive', async () => {
      const other = new PlivoSimulator({
        authId: AUTH_ID,
        authToken: AUTH_TOKEN,
        callbackDelayMs: 50,
      });
      const base = await other.start();
      expect(base).toBe(other.baseUrl);
      expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

      await sendMms(sdkClient(other), { url: `${receiver.base}/cb` }); // callbacks now pending
      other.failNext({ mode: 'timeout' });
      const held = rejectionOf(sendMms(sdkClient(other))); // no client timeout: only stop() ends it
      await other.waitFor((s) => s.requests.length === 2);

      await other.stop();
      expect(typeof (await held)).toBe('string');
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(receiver.received).toHaveLength(0);
      expect(() => other.baseUrl).toThrow(/not started/);
      await other.stop(); // idempotent
    });
  });
});
