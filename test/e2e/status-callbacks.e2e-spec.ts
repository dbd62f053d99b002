/**
 * Signed status callbacks to the client (issue #14), end to end: the real app (or the real
 * process), the real database, the Plivo simulator driving queued → sent → delivered, and a real
 * HTTP receiver on 127.0.0.1 that checks every signature it gets.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { AddressInfo, createServer, Server, Socket } from 'node:net';
import { hostname } from 'node:os';
import * as ipaddr from 'ipaddr.js';
import request from 'supertest';
import { PlivoSimulator } from '../../sandbox/plivo-simulator';
import {
  ReceivedCallback,
  StatusReceiver,
  verifyStatusCallbackSignature,
} from '../../sandbox/plivo-simulator/status-receiver';
import { CallbackOutboxRepository } from '../../src/mms/client-callbacks/callback-outbox.repository';
import { UNREACHABLE } from '../../src/shared/outbound-address';
import { eventually } from '../support/eventually';
import { postSigned } from '../support/plivo-signing';
import {
  SpawnedService,
  testDatabaseUri,
  startProductionService,
} from '../support/spawned-service';
import { createTestApp, TEST_SENDER, TestApp } from '../support/test-app';

const SECRET = randomBytes(32).toString('hex');
const NEW_SECRET = randomBytes(32).toString('hex');
const OLD_SECRET = randomBytes(32).toString('hex');
const SEED = {
  destinationNumber: '+14157654321',
  messageText: 'Your order shipped',
  mediaUrl: 'https://m.example.com/a.gif',
};
const LIFECYCLE = ['queued', 'sent', 'delivered'];

/** Fast workers for tests: the contract's minimum poll, a short backoff. */
const FAST = {
  STATUS_CALLBACK_POLL_MS: '50',
  STATUS_CALLBACK_RETRY_BASE_MS: '50',
  STATUS_CALLBACK_TIMEOUT_MS: '3000',
};

interface EventView {
  id: string;
  sequence: number;
  status: string;
  previousStatus: string | null;
  state: 'pending' | 'delivered' | 'stopped' | 'abandoned';
  attempts: number;
  lastAttemptAt?: string;
  lastHttpStatus?: number;
  lastError?: string;
  nextAttemptAt?: string;
  deliveredAt?: string;
}

interface CallbackBody {
  id: string;
  type: string;
  messageId: string;
  status: string;
  previousStatus: string | null;
  sequence: number;
  [field: string]: unknown;
}

const bodyOf = (r: ReceivedCallback) => r.body as CallbackBody;
const forMessage = (list: ReceivedCallback[], messageId: string) =>
  list.filter((r) => bodyOf(r)?.messageId === messageId);
const hostPort = (url: string) => new URL(url).host;

/** How many requests carried each event id. */
function countById(list: ReceivedCallback[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of list) counts[r.eventId ?? '?'] = (counts[r.eventId ?? '?'] ?? 0) + 1;
  return counts;
}

/** The sum of a Prometheus series' samples whose labels include `labels`. */
async function metric(baseUrl: string, name: string, labels: Record<string, string> = {}) {
  const text = (await request(baseUrl).get('/metrics').expect(200)).text;
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** A TCP listener that only counts connections: proof that nothing reached an address. */
async function connectionCounter(address = '127.0.0.1') {
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((done) => server.listen(0, address, done));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/**
 * A black hole: accepts TCP connections and never answers, so each request to it runs to
 * STATUS_CALLBACK_TIMEOUT_MS. Counts the connections open at once (each attempt is its own),
 * and in `together` those of every hole sharing it.
 */
async function blackHole(together = { open: 0, mostOpen: 0 }) {
  const sockets = new Set<Socket>();
  let mostOpen = 0;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    mostOpen = Math.max(mostOpen, sockets.size);
    together.open++;
    together.mostOpen = Math.max(together.mostOpen, together.open);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      together.open--;
    });
    // Read (and drop) the request: a socket never read never sees the client's FIN either.
    socket.resume();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    open: () => sockets.size,
    mostOpen: () => mostOpen,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((done) => server.close(() => done()));
    },
  };
}

/**
 * A host NAME (not "localhost", which the request check refuses by name) whose addresses are all
 * non-public: this machine's own name resolves (through /etc/hosts) to loopback, as the media
 * preflight tests rely on.
 */
async function nonPublicName(): Promise<{ host: string; address: string }> {
  for (const name of [hostname(), 'vm', 'runsc']) {
    if (!name || name === 'localhost' || name.endsWith('.localhost')) continue;
    const found = await lookup(name, { all: true }).catch(() => []);
    if (found.length > 0 && found.every((a) => ipaddr.process(a.address).range() !== 'unicast'))
      return { host: name, address: found[0].address };
  }
  throw new Error(`no name of this machine (${hostname()}) resolves to a non-public address`);
}

const hmac = (secret: string, t: string, raw: string) =>
  createHmac('sha256', secret).update(`${t}.${raw}`).digest('hex');

/** The t= and the v1= values of an X-Mms-Signature header. */
function parseSignature(header: string | string[] | undefined) {
  const parts = String(header)
    .split(',')
    .map((p) => p.trim().split('=') as [string, string]);
  return {
    t: parts.find(([k]) => k === 't')?.[1] ?? '',
    v1: parts.filter(([k]) => k === 'v1').map(([, v]) => v),
  };
}

describe('status callbacks to the client (e2e)', () => {
  describe('one instance, one secret', () => {
    let t: TestApp;
    let receiver: StatusReceiver;
    let hookUrl: string;

    beforeAll(async () => {
      receiver = new StatusReceiver({ secrets: [SECRET] });
      hookUrl = `${await receiver.listen()}/hooks/mms-status`;
      t = await createTestApp({
        ...FAST,
        STATUS_CALLBACK_SECRET: SECRET,
        STATUS_CALLBACK_ALLOWED_HOSTS: hostPort(hookUrl),
      });
    });
    beforeEach(async () => {
      receiver.reset();
      await t.reset();
    });
    afterAll(async () => {
      await t?.close();
      await receiver?.close();
    });

    const send = (body: object) => request(t.baseUrl).post('/send-mms').send(body);
    const eventsOf = async (messageId: string): Promise<EventView[]> => {
      const res = await request(t.baseUrl).get(`/messages/${messageId}`).expect(200);
      return res.body.statusCallback?.events ?? [];
    };
    const untilEvents = (
      messageId: string,
      done: (events: EventView[]) => boolean,
      what: string,
      timeoutMs = 10000,
    ) => eventually(() => eventsOf(messageId), done, what, timeoutMs);
    const untilAccepted = (messageId: string, count: number) =>
      eventually(
        async () => forMessage(receiver.accepted(), messageId),
        (list) => list.length >= count,
        `${count} callbacks accepted for ${messageId}`,
      );

    it('queued → sent → delivered arrive in order, one request each, signed, with the documented body', async () => {
      const deliveredBefore = await metric(t.baseUrl, 'status_callback_events_total', {
        outcome: 'delivered',
      });
      const histogramBefore = await metric(t.baseUrl, 'status_callback_delivery_seconds_count');
      const sent = await send({ ...SEED, statusCallbackUrl: hookUrl }).expect(202);
      const messageId: string = sent.body.messageId;
      await untilAccepted(messageId, 3);

      const received = forMessage(receiver.received(), messageId);
      expect(received.map((r) => bodyOf(r).sequence)).toEqual([1, 2, 3]);
      expect(received.map((r) => bodyOf(r).status)).toEqual(LIFECYCLE);
      expect(received.map((r) => bodyOf(r).previousStatus)).toEqual(['pending', 'queued', 'sent']);
      for (const r of received) {
        expect(r.path).toBe('/hooks/mms-status');
        expect(r.signatureValid).toBe(true);
        expect(r.answered).toBe(200);
        expect(r.headers['content-type']).toMatch(/^application\/json/);
        expect(r.eventId).toMatch(/^evt_[0-9a-f]{24}$/);
        expect(bodyOf(r).id).toBe(r.eventId);
        // One secret: one v1, over "<t>.<the raw body>".
        const { t: ts, v1 } = parseSignature(r.headers['x-mms-signature']);
        expect(v1).toEqual([hmac(SECRET, ts, r.rawBody)]);
        expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(60);
        expect(r.body).toEqual({
          id: r.eventId,
          type: 'message.status',
          messageId,
          status: expect.any(String),
          previousStatus: expect.any(String),
          errorCode: null,
          errorMessage: null,
          plivoMessageUuid: sent.body.plivoResponse.messageUuid[0],
          channel: 'mms',
          occurredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          sequence: expect.any(Number),
        });
      }
      expect(new Set(received.map((r) => r.eventId)).size).toBe(3);

      // The message shows its callback and each event's delivery.
      const view = (await request(t.baseUrl).get(`/messages/${messageId}`).expect(200)).body;
      expect(view.statusCallback.url).toBe(hookUrl);
      const events: EventView[] = await untilEvents(
        messageId,
        (list) => list.length === 3 && list.every((e) => e.state === 'delivered'),
        'three delivered events on the message',
      );
      expect(events.map((e) => [e.id, e.sequence, e.status])).toEqual(
        received.map((r) => [r.eventId, bodyOf(r).sequence, bodyOf(r).status]),
      );
      for (const e of events)
        expect(e).toMatchObject({
          attempts: 1,
          lastHttpStatus: 200,
          deliveredAt: expect.any(String),
        });

      // A Plivo callback replayed (same status again) changes nothing, so it makes no event.
      const delivered = t.plivo.callbacks.find(
        (c) => c.params.Status === 'delivered' && c.status === 200,
      )!;
      const url = new URL(delivered.url);
      await postSigned(t.baseUrl, url.pathname + url.search, delivered.params, {
        token: t.authToken,
        signedUrl: delivered.url,
      }).expect(200);
      await new Promise((r) => setTimeout(r, 400)); // several polls: time for a wrong event to show
      expect(await eventsOf(messageId)).toHaveLength(3);
      expect(forMessage(receiver.received(), messageId)).toHaveLength(3);

      expect(
        await metric(t.baseUrl, 'status_callback_events_total', { outcome: 'delivered' }),
      ).toBe(deliveredBefore + 3);
      expect(await metric(t.baseUrl, 'status_callback_delivery_seconds_count')).toBe(
        histogramBefore + 3,
      );
    });

    it('a receiver failing twice then succeeding gets each event exactly once as a success; the retries show on the message', async () => {
      receiver.failNext(2, 500);
      const retriedBefore = await metric(t.baseUrl, 'status_callback_events_total', {
        outcome: 'retried',
      });
      const sent = await send({ ...SEED, statusCallbackUrl: hookUrl }).expect(202);
      const messageId: string = sent.body.messageId;
      await untilAccepted(messageId, 3);

      const accepted = forMessage(receiver.accepted(), messageId);
      expect(accepted.map((r) => bodyOf(r).status)).toEqual(LIFECYCLE);
      expect(Object.values(countById(accepted))).toEqual([1, 1, 1]);
      // The first event took the two failures (later events wait behind it), then succeeded.
      const received = forMessage(receiver.received(), messageId);
      const firstId = accepted[0].eventId!;
      expect(received.filter((r) => r.eventId === firstId).map((r) => r.answered)).toEqual([
        500, 500, 200,
      ]);
      expect(received.map((r) => bodyOf(r).sequence)).toEqual([1, 1, 1, 2, 3]);
      // Every attempt is the same event: same id, same body.
      expect(new Set(received.slice(0, 3).map((r) => r.rawBody)).size).toBe(1);
      expect(received.every((r) => r.signatureValid)).toBe(true);

      const events = await untilEvents(
        messageId,
        (list) => list.length === 3 && list.every((e) => e.state === 'delivered'),
        'three delivered events',
      );
      expect(events[0]).toMatchObject({
        id: firstId,
        sequence: 1,
        state: 'delivered',
        attempts: 3,
        lastHttpStatus: 200,
      });
      expect(events.slice(1).map((e) => e.attempts)).toEqual([1, 1]);
      expect(await metric(t.baseUrl, 'status_callback_events_total', { outcome: 'retried' })).toBe(
        retriedBefore + 2,
      );
    });

    it('410 Gone stops the message’s callbacks: this and the later events become stopped, nothing more is sent', async () => {
      // The answer is slow, so the later status changes are recorded while the first waits.
      receiver.delay(1000);
      receiver.failNext(1, 410);
      const stoppedBefore = await metric(t.baseUrl, 'status_callback_events_total', {
        outcome: 'stopped',
      });
      const sent = await send({ ...SEED, statusCallbackUrl: hookUrl }).expect(202);
      const messageId: string = sent.body.messageId;
      await untilEvents(messageId, (list) => list.length === 3, 'three events recorded');

      const events = await untilEvents(
        messageId,
        (list) => list.length === 3 && list.every((e) => e.state === 'stopped'),
        'every event stopped',
      );
      expect(events[0]).toMatchObject({ sequence: 1, attempts: 1, lastHttpStatus: 410 });
      expect(events.slice(1).map((e) => e.attempts)).toEqual([0, 0]);

      await new Promise((r) => setTimeout(r, 400)); // several polls: nothing more goes out
      const received = forMessage(receiver.received(), messageId);
      expect(received).toHaveLength(1);
      expect(received[0].answered).toBe(410);
      // The counter counts attempts by outcome: one was answered 410; the later events were
      // stopped without an attempt of their own.
      expect(await metric(t.baseUrl, 'status_callback_events_total', { outcome: 'stopped' })).toBe(
        stoppedBefore + 1,
      );
    });

    it('an IP-literal private, loopback or metadata URL (any encoding) or localhost is refused with 400 CALLBACK_URL_BLOCKED, and nothing is connected to', async () => {
      const listener = await connectionCounter('127.0.0.1');
      const p = listener.port;
      try {
        const urls = [
          `http://127.0.0.1:${p}/hook`,
          `http://2130706433:${p}/hook`,
          `http://0x7f.0.0.1:${p}/hook`,
          `http://0177.0.0.1:${p}/hook`,
          `http://[::1]:${p}/hook`,
          `http://[::ffff:127.0.0.1]:${p}/hook`,
          `http://localhost:${p}/hook`,
          'http://10.0.0.7/hook',
          'http://192.168.1.1/hook',
          'http://169.254.169.254/latest/meta-data',
          'http://[fd00::1]/hook',
        ];
        for (const statusCallbackUrl of urls) {
          const res = await send({ ...SEED, statusCallbackUrl });
          expect([statusCallbackUrl, res.status, res.body.code]).toEqual([
            statusCallbackUrl,
            400,
            'CALLBACK_URL_BLOCKED',
          ]);
          expect(res.body.errors).toEqual([
            expect.objectContaining({ field: 'statusCallbackUrl' }),
          ]);
        }
        const form = await request(t.baseUrl)
          .post('/send-mms')
          .type('form')
          .send({ ...SEED, statusCallbackUrl: `http://127.0.0.1:${p}/hook` })
          .expect(400);
        expect(form.body.code).toBe('CALLBACK_URL_BLOCKED');
        expect(t.plivo.requests).toHaveLength(0);
        expect(listener.connections()).toBe(0);
        expect(receiver.received()).toHaveLength(0);
      } finally {
        await listener.close();
      }
    });

    it('a public-looking NAME resolving to a non-public address is accepted at send, never connected to, and the event says why', async () => {
      const { host, address } = await nonPublicName();
      const listener = await connectionCounter(address);
      try {
        const statusCallbackUrl = `http://${host}:${listener.port}/hook`;
        const sent = await send({ ...SEED, statusCallbackUrl }).expect(202);
        const messageId: string = sent.body.messageId;
        // Retried like a connection error: the first event is attempted again and again.
        const events = await untilEvents(
          messageId,
          (list) => (list[0]?.attempts ?? 0) >= 2,
          'the first event attempted twice',
        );
        expect(events[0]).toMatchObject({
          sequence: 1,
          status: 'queued',
          state: 'pending',
          // The one text of every lookup or connection failure: no internal name in it.
          lastError: UNREACHABLE,
        });
        expect(events[0].lastHttpStatus).toBeUndefined();
        expect(events[0].lastError).not.toContain(host);
        expect(events.slice(1).every((e) => e.state === 'pending' && e.attempts === 0)).toBe(true);
        expect(listener.connections()).toBe(0);
      } finally {
        await listener.close();
      }
    });

    it('the SMS fallback switch, a failed send and an ambiguous (unknown) send are events too', async () => {
      const refusal = {
        status: 400,
        body: { api_id: 'x', error: 'destination number is not MMS capable' },
      };
      t.plivo.failNext(refusal);
      const fallback = await send({
        ...SEED,
        fallbackToSms: true,
        statusCallbackUrl: hookUrl,
      }).expect(202);
      t.plivo.failNext(refusal);
      const failed = await send({ ...SEED, statusCallbackUrl: hookUrl }).expect(422);
      t.plivo.failNext({ status: 504 });
      const unknown = await send({ ...SEED, statusCallbackUrl: hookUrl }).expect(504);

      // The switch keeps the status (pending) and says channel sms; the SMS then goes its way.
      const switched = await untilAccepted(fallback.body.messageId, 4);
      expect(
        switched.map((r) => {
          const b = bodyOf(r);
          return [b.sequence, b.previousStatus, b.status, b.channel];
        }),
      ).toEqual([
        [1, 'pending', 'pending', 'sms'],
        [2, 'pending', 'queued', 'sms'],
        [3, 'queued', 'sent', 'sms'],
        [4, 'sent', 'delivered', 'sms'],
      ]);
      expect(bodyOf(switched[0]).errorMessage).toMatch(/not MMS capable/);

      const [failedEvent] = await untilAccepted(failed.body.messageId, 1);
      expect(bodyOf(failedEvent)).toMatchObject({
        sequence: 1,
        previousStatus: 'pending',
        status: 'failed',
        channel: 'mms',
        errorCode: expect.any(String),
        errorMessage: expect.stringMatching(/not MMS capable/),
        plivoMessageUuid: null,
      });
      const [unknownEvent] = await untilAccepted(unknown.body.messageId, 1);
      expect(bodyOf(unknownEvent)).toMatchObject({
        sequence: 1,
        previousStatus: 'pending',
        status: 'unknown',
        errorCode: 'PLIVO_OUTCOME_UNKNOWN',
      });
      // Nothing more for the two that Plivo never queued.
      await new Promise((r) => setTimeout(r, 300));
      expect(forMessage(receiver.received(), failed.body.messageId)).toHaveLength(1);
      expect(forMessage(receiver.received(), unknown.body.messageId)).toHaveLength(1);
      expect(receiver.received().every((r) => r.signatureValid)).toBe(true);
    });

    it('a claim is a lease: nobody else takes the message until it ends, then a stale holder can no longer write', async () => {
      const outbox = t.app.get(CallbackOutboxRepository);
      const logs = t.db.collection('message_logs');
      // Due in an hour: the app's own worker (claiming at the real time) leaves it alone, and
      // the test claims at times of its own.
      const due = new Date(Date.now() + 3_600_000);
      const { insertedId } = await logs.insertOne({
        direction: 'outbound',
        channel: 'mms',
        sender: TEST_SENDER,
        recipient: SEED.destinationNumber,
        status: 'queued',
        statusRank: 2,
        statusCallbackUrl: hookUrl,
        callbackEvents: [
          {
            id: 'evt_000000000000000000000001',
            sequence: 1,
            status: 'queued',
            previousStatus: 'pending',
            channel: 'mms',
            occurredAt: due,
            state: 'pending',
            attempts: 0,
            nextAttemptAt: due,
          },
        ],
        callbackDueAt: due,
      });
      const at = (ms: number) => new Date(due.getTime() + ms);
      const first = await outbox.claim(at(1), 10_000);
      expect(first).toMatchObject({ messageId: insertedId, url: hookUrl });
      expect(first!.event!.id).toBe('evt_000000000000000000000001');
      // Held: another replica finds nothing due, however often it looks during the lease.
      expect(await outbox.claim(at(2), 10_000)).toBeUndefined();
      expect(await outbox.claim(at(10_000), 10_000)).toBeUndefined();
      // The holder died: after its lease the message is taken over, under a new token.
      const second = await outbox.claim(at(10_002), 10_000);
      expect(second?.messageId).toEqual(insertedId);
      expect(second!.token).not.toBe(first!.token);
      const outcome = { state: 'delivered' as const, at: at(10_003), httpStatus: 200 };
      // The first holder, merely slow, comes back: its write is refused.
      expect(await outbox.settle(first!, outcome)).toBe(false);
      expect(await outbox.settle(second!, outcome)).toBe(true);
      const after = await logs.findOne({ _id: insertedId });
      expect(after).toMatchObject({
        callbackEvents: [{ state: 'delivered', attempts: 1, lastHttpStatus: 200 }],
      });
      // Settled with nothing pending: no longer due, no lease.
      expect(after).not.toHaveProperty('callbackDueAt');
      expect(after).not.toHaveProperty('callbackLease');
      expect(await outbox.claim(at(3_600_000), 10_000)).toBeUndefined();
    });

    it('at delivery: a URL the policy now refuses is abandoned without a connection; an event too old before its first try is abandoned untried', async () => {
      const counter = await connectionCounter();
      try {
        const logs = t.db.collection('message_logs');
        const now = new Date();
        const message = (url: string, occurredAt: Date) => ({
          direction: 'outbound',
          channel: 'mms',
          sender: TEST_SENDER,
          recipient: SEED.destinationNumber,
          status: 'queued',
          statusRank: 2,
          statusCallbackUrl: url,
          callbackEvents: [
            {
              id: `evt_${randomBytes(12).toString('hex')}`,
              sequence: 1,
              status: 'queued',
              previousStatus: 'pending',
              channel: 'mms',
              occurredAt,
              state: 'pending',
              attempts: 0,
              nextAttemptAt: now,
            },
          ],
          callbackDueAt: now,
        });
        // Written while the policy allowed it (say, before its host left the allowed list): a
        // loopback literal on a port that is not allowed now.
        const refused = await logs.insertOne(message(`http://127.0.0.1:${counter.port}/hook`, now));
        // The gateway was down longer than the max age (24 h by default) before a first try.
        const stale = await logs.insertOne(
          message(hookUrl, new Date(now.getTime() - 25 * 3_600_000)),
        );
        for (const [id, error] of [
          [refused.insertedId, /not a public address/],
          [stale.insertedId, /older than STATUS_CALLBACK_MAX_AGE_MS/],
        ] as const) {
          const [event] = await untilEvents(
            id.toHexString(),
            (events) => events[0]?.state !== 'pending',
            `event of ${id.toHexString()} settled`,
          );
          expect(event).toMatchObject({
            state: 'abandoned',
            attempts: 0,
            lastError: expect.stringMatching(error),
          });
          expect(event).not.toHaveProperty('lastHttpStatus');
        }
        expect(counter.connections()).toBe(0);
        expect(receiver.received()).toHaveLength(0);
      } finally {
        await counter.close();
      }
    });

    it('without STATUS_CALLBACK_SECRET a send naming a callback URL is refused: 400 STATUS_CALLBACKS_DISABLED', async () => {
      const off = await createTestApp({ STATUS_CALLBACK_ALLOWED_HOSTS: hostPort(hookUrl) });
      try {
        const res = await request(off.baseUrl)
          .post('/send-mms')
          .send({ ...SEED, statusCallbackUrl: hookUrl })
          .expect(400);
        expect(res.body.code).toBe('STATUS_CALLBACKS_DISABLED');
        expect(off.plivo.requests).toHaveLength(0);
      } finally {
        await off.close();
      }
    });
    it("a client's default URL (STATUS_CALLBACK_URLS) gets its sends' events, signed with the client's own secret (STATUS_CALLBACK_CLIENT_SECRETS); a named URL wins; other clients get nothing", async () => {
      const TEAM_KEY = randomBytes(12).toString('hex');
      const OTHER_KEY = randomBytes(12).toString('hex');
      const TEAM_SECRET = randomBytes(32).toString('hex');
      const withDefaults = await createTestApp({
        ...FAST,
        API_KEYS: `team:${TEAM_KEY},other:${OTHER_KEY}`,
        STATUS_CALLBACK_SECRET: SECRET,
        STATUS_CALLBACK_ALLOWED_HOSTS: hostPort(hookUrl),
        STATUS_CALLBACK_URLS: `team:${hookUrl}?by=default`,
        STATUS_CALLBACK_CLIENT_SECRETS: `team:${TEAM_SECRET}`,
      });
      try {
        const as = (key: string, body: object) =>
          request(withDefaults.baseUrl).post('/send-mms').set('X-API-Key', key).send(body);
        const byDefault = await as(TEAM_KEY, SEED).expect(202);
        const named = await as(TEAM_KEY, {
          ...SEED,
          statusCallbackUrl: `${hookUrl}?by=request`,
        }).expect(202);
        const other = await as(OTHER_KEY, SEED).expect(202);
        await untilAccepted(byDefault.body.messageId, 3);
        await untilAccepted(named.body.messageId, 3);
        expect([
          ...new Set(forMessage(receiver.accepted(), byDefault.body.messageId).map((r) => r.path)),
        ]).toEqual(['/hooks/mms-status?by=default']);
        expect([
          ...new Set(forMessage(receiver.accepted(), named.body.messageId).map((r) => r.path)),
        ]).toEqual(['/hooks/mms-status?by=request']);
        // The team's callbacks are signed with its own secret only: the shared one (which
        // other clients may know) does not verify them.
        const teams = forMessage(receiver.accepted(), byDefault.body.messageId);
        for (const r of teams) {
          const header = String(r.headers['x-mms-signature']);
          expect(verifyStatusCallbackSignature(header, r.rawBody, [TEAM_SECRET])).toBe(true);
          expect(verifyStatusCallbackSignature(header, r.rawBody, [SECRET])).toBe(false);
          expect(parseSignature(header).v1).toHaveLength(1);
        }
        const otherView = await request(withDefaults.baseUrl)
          .get(`/messages/${other.body.messageId}`)
          .set('X-API-Key', OTHER_KEY)
          .expect(200);
        expect(otherView.body).not.toHaveProperty('statusCallback');
        expect(forMessage(receiver.received(), other.body.messageId)).toHaveLength(0);
      } finally {
        await withDefaults.close();
      }
    });
  });

  describe('two clients, one of them black-holed', () => {
    const TIMEOUT_MS = 1500;
    const STUCK_KEY = randomBytes(12).toString('hex');
    const HEALTHY_KEY = randomBytes(12).toString('hex');
    let t: TestApp;
    let hole: Awaited<ReturnType<typeof blackHole>>;
    const receiver = new StatusReceiver({ secrets: [SECRET] });
    let hookUrl: string;

    beforeAll(async () => {
      hookUrl = `${await receiver.listen()}/hook`;
      hole = await blackHole();
      t = await createTestApp({
        ...FAST,
        STATUS_CALLBACK_TIMEOUT_MS: String(TIMEOUT_MS),
        STATUS_CALLBACK_CONCURRENCY: '4',
        STATUS_CALLBACK_HOST_CONCURRENCY: '2',
        STATUS_CALLBACK_SECRET: SECRET,
        STATUS_CALLBACK_ALLOWED_HOSTS: `${hostPort(hookUrl)},${hostPort(hole.url)}`,
        API_KEYS: `stuck:${STUCK_KEY},healthy:${HEALTHY_KEY}`,
      });
    });
    afterAll(async () => {
      await t?.close();
      await hole?.close();
      await receiver.close();
    });

    it("a client's endpoint that never answers holds at most STATUS_CALLBACK_HOST_CONCURRENCY lanes: another client's events, sent after its backlog, arrive within 2 s", async () => {
      const send = (key: string, statusCallbackUrl: string) =>
        request(t.baseUrl)
          .post('/send-mms')
          .set('X-API-Key', key)
          .send({ ...SEED, statusCallbackUrl })
          .expect(202)
          .then((res) => res.body.messageId as string);
      // 30 first tries of 1.5 s each: 11 s of the replica's four lanes, were they all its.
      await Promise.all(Array.from({ length: 30 }, () => send(STUCK_KEY, hole.url)));
      await eventually(
        async () => hole.open(),
        (n) => n >= 2,
        'the black hole holding lanes',
      );
      const messageId = await send(HEALTHY_KEY, hookUrl);
      const accepted = await eventually(
        async () => forMessage(receiver.accepted(), messageId),
        (list) => list.length >= 3,
        'the healthy client’s three callbacks',
        20000,
      );
      expect(accepted.map((r) => bodyOf(r).status)).toEqual(LIFECYCLE);
      // From each status change to its callback's arrival.
      const lateness = accepted.map(
        (r) => r.at.getTime() - Date.parse(String(bodyOf(r).occurredAt)),
      );
      expect(Math.max(...lateness)).toBeLessThan(2000);
      // The black hole never had more than its two lanes of this replica, and it had them.
      expect(hole.mostOpen()).toBe(2);
    });
  });

  describe('two clients, one black-holed over two ports (two hosts)', () => {
    const STUCK_KEY = randomBytes(12).toString('hex');
    const HEALTHY_KEY = randomBytes(12).toString('hex');
    let t: TestApp;
    let holes: Awaited<ReturnType<typeof blackHole>>[];
    const together = { open: 0, mostOpen: 0 };
    const receiver = new StatusReceiver({ secrets: [SECRET] });
    let hookUrl: string;

    beforeAll(async () => {
      hookUrl = `${await receiver.listen()}/hook`;
      holes = [await blackHole(together), await blackHole(together)];
      t = await createTestApp({
        ...FAST,
        STATUS_CALLBACK_TIMEOUT_MS: '1500',
        // Two lanes a host: the two holes together could hold all four lanes, were it not for
        // the client's cap (by default half the lanes, 2).
        STATUS_CALLBACK_CONCURRENCY: '4',
        STATUS_CALLBACK_HOST_CONCURRENCY: '2',
        STATUS_CALLBACK_SECRET: SECRET,
        STATUS_CALLBACK_ALLOWED_HOSTS: [hookUrl, ...holes.map((h) => h.url)]
          .map(hostPort)
          .join(','),
        API_KEYS: `stuck:${STUCK_KEY},healthy:${HEALTHY_KEY}`,
      });
    });
    afterAll(async () => {
      await t?.close();
      for (const hole of holes ?? []) await hole.close();
      await receiver.close();
    });

    it("one client's URLs spread over several dead hosts hold at most STATUS_CALLBACK_CLIENT_CONCURRENCY lanes: another client's events arrive within 2 s", async () => {
      const send = (key: string, statusCallbackUrl: string) =>
        request(t.baseUrl)
          .post('/send-mms')
          .set('X-API-Key', key)
          .send({ ...SEED, statusCallbackUrl })
          .expect(202)
          .then((res) => res.body.messageId as string);
      await Promise.all(Array.from({ length: 30 }, (_, i) => send(STUCK_KEY, holes[i % 2].url)));
      await eventually(
        async () => together.open,
        (n) => n >= 2,
        'the black holes holding lanes',
      );
      const messageId = await send(HEALTHY_KEY, hookUrl);
      const accepted = await eventually(
        async () => forMessage(receiver.accepted(), messageId),
        (list) => list.length >= 3,
        'the healthy client’s three callbacks',
        20000,
      );
      expect(accepted.map((r) => bodyOf(r).status)).toEqual(LIFECYCLE);
      const lateness = accepted.map(
        (r) => r.at.getTime() - Date.parse(String(bodyOf(r).occurredAt)),
      );
      expect(Math.max(...lateness)).toBeLessThan(2000);
      // Never more than the client's two lanes at once, over both holes; and it had them.
      expect(together.mostOpen).toBe(2);
    });
  });

  describe('two secrets (rotation) and a short max age', () => {
    const MAX_AGE_MS = 1000;
    let t: TestApp;
    const newOnly = new StatusReceiver({ secrets: [NEW_SECRET] });
    const oldOnly = new StatusReceiver({ secrets: [OLD_SECRET] });
    let newUrl: string;
    let oldUrl: string;

    beforeAll(async () => {
      newUrl = `${await newOnly.listen()}/hook`;
      oldUrl = `${await oldOnly.listen()}/hook`;
      t = await createTestApp({
        ...FAST,
        STATUS_CALLBACK_SECRET: `${NEW_SECRET},${OLD_SECRET}`,
        STATUS_CALLBACK_ALLOWED_HOSTS: `${hostPort(newUrl)},${hostPort(oldUrl)}`,
        STATUS_CALLBACK_MAX_AGE_MS: String(MAX_AGE_MS),
      });
    });
    afterAll(async () => {
      await t?.close();
      await newOnly.close();
      await oldOnly.close();
    });

    const send = (statusCallbackUrl: string) =>
      request(t.baseUrl)
        .post('/send-mms')
        .send({ ...SEED, statusCallbackUrl })
        .expect(202)
        .then((res) => res.body.messageId as string);

    it('each request carries one v1 per secret: a receiver knowing only the new one and one knowing only the old one both verify', async () => {
      const [toNew, toOld] = await Promise.all([send(newUrl), send(oldUrl)]);
      for (const [receiver, messageId] of [
        [newOnly, toNew],
        [oldOnly, toOld],
      ] as const) {
        await eventually(
          async () => forMessage(receiver.accepted(), messageId),
          (list) => list.length === 3,
          `three callbacks for ${messageId}`,
        );
        const received = forMessage(receiver.received(), messageId);
        expect(received.map((r) => bodyOf(r).status)).toEqual(LIFECYCLE);
        for (const r of received) {
          expect(r.signatureValid).toBe(true);
          const header = String(r.headers['x-mms-signature']);
          const { t: ts, v1 } = parseSignature(header);
          expect(v1).toEqual([hmac(NEW_SECRET, ts, r.rawBody), hmac(OLD_SECRET, ts, r.rawBody)]);
          expect(verifyStatusCallbackSignature(header, r.rawBody, [NEW_SECRET])).toBe(true);
          expect(verifyStatusCallbackSignature(header, r.rawBody, [OLD_SECRET])).toBe(true);
          // Neither a stranger's secret nor a changed body verifies.
          expect(verifyStatusCallbackSignature(header, r.rawBody, [SECRET])).toBe(false);
          expect(
            verifyStatusCallbackSignature(header, r.rawBody.replace('message.status', 'x'), [
              NEW_SECRET,
              OLD_SECRET,
            ]),
          ).toBe(false);
        }
      }
    });

    it('an event still failing after STATUS_CALLBACK_MAX_AGE_MS is abandoned, and no longer attempted', async () => {
      newOnly.reset();
      newOnly.answer(500);
      const abandonedBefore = await metric(t.baseUrl, 'status_callback_events_total', {
        outcome: 'abandoned',
      });
      const messageId = await send(newUrl);
      const events: EventView[] = await eventually(
        async () =>
          (await request(t.baseUrl).get(`/messages/${messageId}`).expect(200)).body.statusCallback
            .events as EventView[],
        (list) => list.length === 3 && list.every((e) => e.state === 'abandoned'),
        'every event abandoned',
        MAX_AGE_MS + 8000,
      );
      expect(events[0]).toMatchObject({ sequence: 1, lastHttpStatus: 500 });
      expect(events[0].attempts).toBeGreaterThanOrEqual(2);
      expect(forMessage(newOnly.accepted(), messageId)).toHaveLength(0);
      // No attempt started after the event's max age (plus one request's time).
      const first = forMessage(newOnly.received(), messageId);
      const occurredAt = Date.parse(String(bodyOf(first[0]).occurredAt));
      for (const r of first) expect(r.at.getTime()).toBeLessThan(occurredAt + MAX_AGE_MS + 1000);

      const count = first.length;
      await new Promise((r) => setTimeout(r, 400)); // several polls
      expect(forMessage(newOnly.received(), messageId)).toHaveLength(count);
      expect(
        await metric(t.baseUrl, 'status_callback_events_total', { outcome: 'abandoned' }),
      ).toBe(abandonedBefore + 3);
    });
  });

  describe('two app instances on one database', () => {
    const DELAY_MS = 150;
    let a: TestApp;
    let b: TestApp;
    const receiver = new StatusReceiver({ secrets: [SECRET] });
    let hookUrl: string;

    beforeAll(async () => {
      hookUrl = `${await receiver.listen()}/hook`;
      const env = {
        ...FAST,
        STATUS_CALLBACK_SECRET: SECRET,
        STATUS_CALLBACK_ALLOWED_HOSTS: hostPort(hookUrl),
      };
      a = await createTestApp(env);
      b = await createTestApp(env, {}, { dbName: a.dbName });
    });
    afterAll(async () => {
      await a?.close();
      await b?.close();
      await receiver.close();
    });

    it('each event is delivered once, never two requests for one event at once, a message’s events one after another', async () => {
      // Slow answers: an event claimed twice would show as two requests in progress together.
      receiver.delay(DELAY_MS);
      const ids = await Promise.all(
        [a, b, a, b].map((app) =>
          request(app.baseUrl)
            .post('/send-mms')
            .send({ ...SEED, statusCallbackUrl: hookUrl })
            .expect(202)
            .then((res) => res.body.messageId as string),
        ),
      );
      await eventually(
        async () => receiver.accepted(),
        (list) => list.length >= 12,
        'twelve callbacks accepted',
        20000,
      );
      // Both instances' workers had time to claim anything left twice.
      await new Promise((r) => setTimeout(r, 400));

      const received = receiver.received();
      // One request per event id, twelve ids (compact, so a failure reads as counts).
      expect(Object.values(countById(received))).toEqual(Array(12).fill(1));
      expect(receiver.maxConcurrent()).toBe(1);
      expect(received.every((r) => r.signatureValid && r.answered === 200)).toBe(true);

      for (const messageId of ids) {
        const mine = forMessage(received, messageId);
        expect(mine.map((r) => bodyOf(r).sequence)).toEqual([1, 2, 3]);
        expect(mine.map((r) => bodyOf(r).status)).toEqual(LIFECYCLE);
        // A later event waits for the earlier one's answer.
        for (let i = 1; i < mine.length; i++)
          expect(mine[i].at.getTime() - mine[i - 1].at.getTime()).toBeGreaterThanOrEqual(
            DELAY_MS - 10,
          );
      }
      const delivered = async (app: TestApp) =>
        metric(app.baseUrl, 'status_callback_events_total', { outcome: 'delivered' });
      expect((await delivered(a)) + (await delivered(b))).toBe(12);
    });
  });

  describe('a service killed (SIGKILL) with events pending', () => {
    const AUTH_ID = 'MACALLBACKKILL000000';
    const API_KEY = 'callback-kill-key-0123456789';
    let plivo: PlivoSimulator;
    let token: string;
    const receiver = new StatusReceiver({ secrets: [SECRET] });
    const services: SpawnedService[] = [];
    let hookUrl: string;
    let uri: string;

    beforeAll(async () => {
      token = randomBytes(16).toString('hex');
      plivo = new PlivoSimulator({
        authId: AUTH_ID,
        authToken: token,
        callbackDelayMs: 10,
        callbackRetryDelaysMs: [],
      });
      await plivo.start();
      hookUrl = `${await receiver.listen()}/hook`;
      uri = testDatabaseUri('callbacks_kill');
    });
    afterAll(async () => {
      for (const s of services) s.kill();
      await plivo.stop();
      await receiver.close();
    });

    const start = () =>
      startProductionService(
        {
          mongodbUri: uri,
          plivo: { baseUrl: plivo.baseUrl, authId: AUTH_ID, authToken: token },
          apiKeys: `shop:${API_KEY}`,
        },
        {
          // The receiver is plain http on loopback: allowed by name, http allowed.
          MEDIA_ALLOW_HTTP: 'true',
          ...FAST,
          STATUS_CALLBACK_TIMEOUT_MS: '1000',
          STATUS_CALLBACK_SECRET: SECRET,
          STATUS_CALLBACK_ALLOWED_HOSTS: hostPort(hookUrl),
        },
        services,
      );
    const getMessage = (service: SpawnedService, id: string) =>
      request(service.baseUrl).get(`/messages/${id}`).set('X-API-Key', API_KEY).expect(200);

    it('the events are delivered after a restart on the same database, each once as a success, in order', async () => {
      receiver.answer(503);
      const first = await start();
      const sent = await request(first.baseUrl)
        .post('/send-mms')
        .set('X-API-Key', API_KEY)
        .send({ ...SEED, statusCallbackUrl: hookUrl })
        .expect(202);
      const messageId: string = sent.body.messageId;
      // Plivo's callbacks all applied (three events recorded), the first one failing.
      await eventually(
        async () => (await getMessage(first, messageId)).body,
        (m) => m.status === 'delivered' && m.statusCallback?.events?.length === 3,
        'the message delivered with three events',
      );
      await eventually(
        async () => forMessage(receiver.received(), messageId),
        (list) => list.length >= 2,
        'two failed attempts',
      );
      // Nothing can be delivered meanwhile (the receiver answers 503): all three are pending.
      const before: EventView[] = (await getMessage(first, messageId)).body.statusCallback.events;
      expect(before.map((e) => e.state)).toEqual(['pending', 'pending', 'pending']);
      expect(before[0]).toMatchObject({ lastHttpStatus: 503, nextAttemptAt: expect.any(String) });
      first.kill();
      await first.exited;
      expect(receiver.accepted()).toHaveLength(0);

      receiver.answer(200);
      const second = await start();
      await eventually(
        async () => forMessage(receiver.accepted(), messageId),
        (list) => list.length >= 3,
        'three callbacks accepted after the restart',
        // A claim cut by the kill is released after its lease (timeout + 10 s).
        25000,
      );
      const accepted = forMessage(receiver.accepted(), messageId);
      expect(accepted.map((r) => bodyOf(r).sequence)).toEqual([1, 2, 3]);
      expect(accepted.map((r) => bodyOf(r).status)).toEqual(LIFECYCLE);
      expect(Object.values(countById(accepted))).toEqual([1, 1, 1]);
      expect(accepted.every((r) => r.signatureValid)).toBe(true);

      const events = await eventually(
        async (): Promise<EventView[]> =>
          (await getMessage(second, messageId)).body.statusCallback.events,
        (list) => list.every((e) => e.state === 'delivered'),
        'every event delivered',
      );
      expect(events[0].attempts).toBeGreaterThanOrEqual(3);
      expect(events[0].lastHttpStatus).toBe(200);
    }, 90000);
  });
});
