/**
 * Inbound messages to their owner (issue #21, item 4), end to end: two clients each with a pool
 * (SENDER_NUMBERS) and a receiver (INBOUND_CALLBACK_URLS), the real app on the real database,
 * inbound webhooks signed like Plivo's, and real HTTP receivers on 127.0.0.1 checking every
 * signature with the client's own secret.
 */
import { createHmac, randomBytes } from 'node:crypto';
import request from 'supertest';
import { ReceivedCallback, StatusReceiver } from '../../sandbox/plivo-simulator/status-receiver';
import { MessageLog } from '../../src/mms/message-log/message-log.schema';
import { OptOut } from '../../src/mms/opt-outs/opt-out.schema';
import { PLIVO_WEBHOOK_ROUTES } from '../../src/mms/plivo/webhook-routes';
import { eventually } from '../support/eventually';
import { postSigned } from '../support/plivo-signing';
import { createTestApp, TEST_SENDER, TestApp } from '../support/test-app';

const SECRET_A = randomBytes(32).toString('hex');
const SECRET_B = randomBytes(32).toString('hex');
const KEY_A = 'team-a-key-0123456789abcdef';
const KEY_B = 'team-b-key-0123456789abcdef';
const ADMIN_KEY = 'ops-admin-key-0123456789abcdef';
const A1 = '+14155550101';
const A2 = '+14155550102';
const B1 = '+14155550103';
/** In no pool (receive-only): INBOUND_CLIENTS gives its inbound messages to team-b. */
const RECEIVE_ONLY = '+14155550104';
const CUSTOMER = '+14157654321';
const MEDIA = ['https://media.example.com/a.jpg', 'https://media.example.com/b.png'];

interface ReceivedBody {
  id: string;
  type: string;
  messageId: string;
  [field: string]: unknown;
}
const bodyOf = (r: ReceivedCallback) => r.body as ReceivedBody;
const as = (key: string) => ({ 'X-API-Key': key });

/** Receivers for both clients, and the environment that wires them in. */
async function receivers() {
  const a = new StatusReceiver({ secrets: [SECRET_A] });
  const b = new StatusReceiver({ secrets: [SECRET_B] });
  const [urlA, urlB] = [await a.listen(), await b.listen()];
  const env = {
    API_KEYS: `team-a:${KEY_A},team-b:${KEY_B}`,
    ADMIN_API_KEYS: `ops:${ADMIN_KEY}`,
    SENDER_NUMBERS: `team-a:${A1}|${A2},team-b:${B1}`,
    INBOUND_CLIENTS: `${RECEIVE_ONLY}:team-b`,
    STATUS_CALLBACK_CLIENT_SECRETS: `team-a:${SECRET_A},team-b:${SECRET_B}`,
    INBOUND_CALLBACK_URLS: `team-a:${urlA}/inbound/a,team-b:${urlB}/inbound/b`,
    STATUS_CALLBACK_ALLOWED_HOSTS: `${new URL(urlA).host},${new URL(urlB).host}`,
    STATUS_CALLBACK_POLL_MS: '50',
    STATUS_CALLBACK_RETRY_BASE_MS: '50',
    STATUS_CALLBACK_TIMEOUT_MS: '3000',
    OPT_OUT_REPLY: 'You are unsubscribed.',
  };
  return { a, b, env, close: () => Promise.all([a.close(), b.close()]) };
}

let uuidCounter = 0;
const newUuid = () =>
  `5b2a8d2e-${String(++uuidCounter).padStart(4, '0')}-11ef-9b3b-${randomBytes(6).toString('hex')}`;

/** The params Plivo posts to message_url for an inbound message (numbers without the plus). */
function inboundParams(to: string, text: string, media: string[] = [], uuid = newUuid()) {
  const params: Record<string, string> = {
    MessageUUID: uuid,
    From: CUSTOMER.slice(1),
    To: to.slice(1),
    Type: media.length > 0 ? 'mms' : 'sms',
    Units: '1',
  };
  if (media.length > 0) {
    params.Body = text;
    params.MediaCount = String(media.length);
    media.forEach((url, i) => (params[`Media${i}`] = url));
  } else params.Text = text;
  return params;
}

const postInbound = (t: TestApp, params: Record<string, string>) =>
  postSigned(t.baseUrl, PLIVO_WEBHOOK_ROUTES.inbound, params, { token: t.authToken }).expect(200);

describe('inbound messages to the owner of the number (e2e)', () => {
  describe('one instance', () => {
    let t: TestApp;
    let r: Awaited<ReturnType<typeof receivers>>;
    const logs = () => t.db.model<MessageLog>(MessageLog.name);
    const docOf = (uuid: string) => logs().findOne({ plivoMessageUuid: uuid }).lean();
    const untilReceived = (receiver: StatusReceiver, messageId: string) =>
      eventually(
        async () => receiver.accepted().filter((c) => bodyOf(c).messageId === messageId),
        (list) => list.length >= 1,
        `message.received for ${messageId}`,
      );
    /** Until the message's only event is delivered (its receiver answered). */
    const untilDelivered = (uuid: string) =>
      eventually(
        () => docOf(uuid),
        (doc) => doc?.callbackEvents?.[0]?.state === 'delivered',
        `the event of ${uuid} delivered`,
      );

    beforeAll(async () => {
      r = await receivers();
      t = await createTestApp(r.env);
    });
    beforeEach(async () => {
      r.a.reset();
      r.b.reset();
      await t.reset();
    });
    afterAll(async () => {
      await t?.close();
      await r?.close();
    });

    it("an MMS to team-a's number is pushed, signed with team-a's secret, to team-a's receiver only, with the documented body", async () => {
      const params = inboundParams(A2, 'Is my order ready?', MEDIA);
      await postInbound(t, params);
      const doc = (await docOf(params.MessageUUID))!;
      expect(doc.clientId).toBe('team-a');
      const messageId = doc._id.toHexString();
      const [got] = await untilReceived(r.a, messageId);
      expect(got.path).toBe('/inbound/a');
      expect(got.signatureValid).toBe(true);
      expect(got.eventId).toMatch(/^evt_[0-9a-f]{24}$/);
      // One v1, team-a's own secret over "<t>.<raw body>" (not the other client's).
      const header = String(got.headers['x-mms-signature']);
      const ts = /t=(\d+)/.exec(header)![1];
      const v1 = [...header.matchAll(/v1=([0-9a-f]+)/g)].map((m) => m[1]);
      const hmac = (secret: string) =>
        createHmac('sha256', secret).update(`${ts}.${got.rawBody}`).digest('hex');
      expect(v1).toEqual([hmac(SECRET_A)]);
      expect(v1).not.toContain(hmac(SECRET_B));
      expect(got.body).toEqual({
        id: got.eventId,
        type: 'message.received',
        messageId,
        from: CUSTOMER,
        to: A2,
        text: 'Is my order ready?',
        // Plivo's inbound webhook gives media URLs only, no content type.
        media: MEDIA.map((url) => ({ url, contentType: null })),
        channel: 'mms',
        plivoMessageUuid: params.MessageUUID,
        keyword: null,
        receivedAt: new Date(doc.statusHistory[0].at).toISOString(),
      });
      await untilDelivered(params.MessageUUID);
      expect(r.a.received()).toHaveLength(1);
      expect(r.b.received()).toHaveLength(0);
      // The owner sees its delivery on the message.
      const view = await request(t.baseUrl)
        .get(`/messages/${messageId}`)
        .set(as(KEY_A))
        .expect(200);
      expect(view.body.statusCallback).toMatchObject({
        url: expect.stringMatching(/\/inbound\/a$/),
        events: [{ id: got.eventId, type: 'message.received', state: 'delivered', attempts: 1 }],
      });
    });

    it('read isolation: the owner reads its inbound message through GET /messages, the other client does not, the admin does; the shared number has no owner', async () => {
      const toA = inboundParams(A1, 'hello a');
      const toB = inboundParams(B1, 'hello b');
      const toShared = inboundParams(TEST_SENDER, 'hello anyone');
      for (const params of [toA, toB, toShared]) await postInbound(t, params);
      const [a, b, shared] = await Promise.all(
        [toA, toB, toShared].map(async (p) => (await docOf(p.MessageUUID))!._id.toHexString()),
      );
      const list = async (key: string) =>
        (
          await request(t.baseUrl).get('/messages?direction=inbound').set(as(key)).expect(200)
        ).body.items.map((m: { id: string }) => m.id);
      expect(await list(KEY_A)).toEqual([a]);
      expect(await list(KEY_B)).toEqual([b]);
      expect((await list(ADMIN_KEY)).sort()).toEqual([a, b, shared].sort());
      await request(t.baseUrl).get(`/messages/${a}`).set(as(KEY_B)).expect(404);
      await request(t.baseUrl).get(`/messages/${b}`).set(as(KEY_A)).expect(404);
      await request(t.baseUrl).get(`/messages/${shared}`).set(as(KEY_A)).expect(404);
      const mine = await request(t.baseUrl).get(`/messages/${a}`).set(as(KEY_A)).expect(200);
      expect(mine.body).toMatchObject({
        direction: 'inbound',
        clientId: 'team-a',
        text: 'hello a',
      });

      // Each owner's receiver got its own; the shared number's message went to no one.
      await untilDelivered(toA.MessageUUID);
      await untilDelivered(toB.MessageUUID);
      expect(r.a.received().map((c) => bodyOf(c).messageId)).toEqual([a]);
      expect(r.b.received().map((c) => bodyOf(c).messageId)).toEqual([b]);
      expect((await docOf(toShared.MessageUUID))!.callbackEvents).toBeUndefined();
    });

    it("INBOUND_CLIENTS names the owner of a number no pool holds: team-b's", async () => {
      const params = inboundParams(RECEIVE_ONLY, 'for b');
      await postInbound(t, params);
      const doc = (await docOf(params.MessageUUID))!;
      expect(doc.clientId).toBe('team-b');
      await untilReceived(r.b, doc._id.toHexString());
      expect(r.a.received()).toHaveLength(0);
    });

    it('STOP, a second STOP and START are delivered with their effect; the confirmations are logged under the owner', async () => {
      const effects: unknown[] = [];
      for (const text of ['STOP', 'stop', 'START', 'HELP']) {
        const params = inboundParams(A1, text);
        await postInbound(t, params);
        const id = (await docOf(params.MessageUUID))!._id.toHexString();
        const [got] = await untilReceived(r.a, id);
        expect(got.signatureValid).toBe(true);
        expect(bodyOf(got)).toMatchObject({ type: 'message.received', text, to: A1 });
        effects.push(bodyOf(got).keyword);
      }
      expect(effects).toEqual([
        { kind: 'opt-out', effect: 'opted-out' },
        { kind: 'opt-out', effect: 'unchanged' },
        { kind: 'opt-in', effect: 'opted-in' },
        { kind: 'help', effect: 'unchanged' },
      ]);
      expect(r.b.received()).toHaveLength(0);
      // The one confirmation (of the STOP that opted out) is the owner's to read.
      const reply = await eventually(
        () => logs().findOne({ reason: 'opt-out-confirmation' }).lean(),
        (doc) => doc !== null,
        'the STOP confirmation logged',
      );
      expect(reply).toMatchObject({ clientId: 'team-a', sender: A1, recipient: CUSTOMER });
    });

    it('a STOP to the second number of a pool the person already left: effect unchanged, its record written, no second confirmation', async () => {
      const replies = async (outcome: string) => {
        const text = (await request(t.baseUrl).get('/metrics').expect(200)).text;
        const line = new RegExp(
          `opt_out_replies_total\\{kind="opt-out",outcome="${outcome}"\\} (\\d+)`,
        );
        return Number(line.exec(text)?.[1] ?? 0);
      };
      const [sent, unchanged] = [await replies('sent'), await replies('unchanged')];
      const first = inboundParams(A1, 'STOP');
      await postInbound(t, first);
      await untilDelivered(first.MessageUUID);
      // The first confirmation observed: at Plivo, and counted as sent.
      await eventually(
        () => replies('sent'),
        (n) => n === sent + 1,
        'the first confirmation',
      );
      const second = inboundParams(A2, 'STOP');
      await postInbound(t, second);
      // The webhook answers once the reply is decided: "unchanged" (no confirmation) by then.
      expect(await replies('unchanged')).toBe(unchanged + 1);
      await untilDelivered(second.MessageUUID);
      expect(r.a.accepted().map((c) => bodyOf(c).keyword)).toEqual([
        { kind: 'opt-out', effect: 'opted-out' },
        { kind: 'opt-out', effect: 'unchanged' },
      ]);
      const confirmations = t.plivo.sentMessages.filter(
        (m) => String((m.body as { dst: string }).dst).replace(/^\+/, '') === CUSTOMER.slice(1),
      );
      expect([confirmations.length, await replies('sent')]).toEqual([1, sent + 1]);
      expect(await logs().countDocuments({ reason: 'opt-out-confirmation' })).toBe(1);
      // A2's own record is written all the same (its MessageUUID acts once), marked unapplied.
      const record = await t.db.model<OptOut>(OptOut.name).findOne({ sender: A2 }).lean();
      expect([record?.optedOut, record?.history.at(-1)?.applied]).toEqual([true, false]);
    });

    it('the owner URL answering 500 twice then 200: retried, delivered once under one event id', async () => {
      r.a.failNext(2, 500);
      const params = inboundParams(A1, 'hello');
      await postInbound(t, params);
      const doc = await untilDelivered(params.MessageUUID);
      expect(doc?.callbackEvents?.[0]?.attempts).toBe(3);
      expect(r.a.received().map((c) => c.answered)).toEqual([500, 500, 200]);
      expect(new Set(r.a.received().map((c) => c.eventId)).size).toBe(1);
    });

    it("410 stops that message's event only; the next inbound message's is still delivered", async () => {
      r.a.failNext(1, 410);
      const first = inboundParams(A1, 'one');
      await postInbound(t, first);
      await eventually(
        () => docOf(first.MessageUUID),
        (doc) => doc?.callbackEvents?.[0]?.state === 'stopped',
        'the first event stopped',
      );
      const next = inboundParams(A2, 'two');
      await postInbound(t, next);
      await untilDelivered(next.MessageUUID);
      expect(r.a.accepted().map((c) => bodyOf(c).text)).toEqual(['two']);
    });

    it("Plivo's retry of the same webhook stores nothing more and makes no second event", async () => {
      const params = inboundParams(B1, 'only once');
      await postInbound(t, params);
      await postInbound(t, params); // Plivo retries when our first 200 did not reach it
      const doc = await untilDelivered(params.MessageUUID);
      await postInbound(t, params); // and once more after the delivery
      expect(await logs().countDocuments({ plivoMessageUuid: params.MessageUUID })).toBe(1);
      expect(doc!.callbackEvents).toHaveLength(1);
      // A later message's event, delivered after: the retries' would have come before it.
      const later = inboundParams(B1, 'later');
      await postInbound(t, later);
      await untilDelivered(later.MessageUUID);
      expect(r.b.received().map((c) => bodyOf(c).text)).toEqual(['only once', 'later']);
    });
  });

  describe('two replicas on one database', () => {
    let one: TestApp;
    let two: TestApp;
    let r: Awaited<ReturnType<typeof receivers>>;

    beforeAll(async () => {
      r = await receivers();
      one = await createTestApp(r.env);
      two = await createTestApp(r.env, {}, { dbName: one.dbName });
    });
    afterAll(async () => {
      await two?.close();
      await one?.close();
      await r?.close();
    });

    it('10 inbound messages, each delivered by Plivo to both replicas at once: each message.received reaches its owner exactly once', async () => {
      const messages = Array.from({ length: 10 }, (_, i) =>
        inboundParams(i % 2 ? A1 : B1, `message ${i}`),
      );
      // Each webhook hits both replicas concurrently (a retry landing on the other one).
      await Promise.all(messages.flatMap((p) => [postInbound(one, p), postInbound(two, p)]));
      const logs = one.db.model<MessageLog>(MessageLog.name);
      await eventually(
        () => logs.countDocuments({ direction: 'inbound', 'callbackEvents.state': 'delivered' }),
        (n) => n === 10,
        'all 10 events delivered',
        15_000,
      );
      expect(await logs.countDocuments({ direction: 'inbound' })).toBe(10);
      const all = [...r.a.received(), ...r.b.received()];
      expect(all).toHaveLength(10);
      expect(all.every((c) => c.signatureValid && c.answered === 200)).toBe(true);
      expect(new Set(all.map((c) => c.eventId)).size).toBe(10);
      expect(
        r.a
          .received()
          .map((c) => bodyOf(c).text)
          .sort(),
      ).toEqual(['message 1', 'message 3', 'message 5', 'message 7', 'message 9']);
      expect(r.b.received()).toHaveLength(5);
      expect(r.a.maxConcurrent()).toBe(1);
    }, 30_000);
  });
});
