/**
 * Review of issue #21, item 4 with item 3: message.received events for a pool's keywords, and
 * the owner's URL answering 500 or 410.
 */
import { randomBytes } from 'node:crypto';
import { ReceivedCallback, StatusReceiver } from '../../sandbox/plivo-simulator/status-receiver';
import { MessageLog } from '../../src/mms/message-log/message-log.schema';
import { PLIVO_WEBHOOK_ROUTES } from '../../src/mms/plivo/webhook-routes';
import { eventually } from '../support/eventually';
import { postSigned } from '../support/plivo-signing';
import { createTestApp, TestApp } from '../support/test-app';

const SECRET_A = randomBytes(32).toString('hex');
const KEY_A = 'rev21-team-a-key-0123456789';
const A1 = '+14155550101';
const A2 = '+14155550102';
const CUSTOMER = '+14157654321';

let n = 0;
const inbound = (to: string, text: string) => ({
  MessageUUID: `6b2a8d2e-${String(++n).padStart(4, '0')}-11ef-9b3b-${randomBytes(6).toString('hex')}`,
  From: CUSTOMER.slice(1),
  To: to.slice(1),
  Type: 'sms',
  Text: text,
});
const bodyOf = (c: ReceivedCallback) =>
  c.body as { messageId: string; text: string; keyword: unknown };

describe('rev21: inbound events of a pool (e2e)', () => {
  let t: TestApp;
  let a: StatusReceiver;
  const logs = () => t.db.model<MessageLog>(MessageLog.name);
  const post = (p: Record<string, string>) =>
    postSigned(t.baseUrl, PLIVO_WEBHOOK_ROUTES.inbound, p, { token: t.authToken }).expect(200);
  const eventOf = (uuid: string) =>
    eventually(
      async () => (await logs().findOne({ plivoMessageUuid: uuid }).lean())?.callbackEvents?.[0],
      (e) => e !== undefined && e.state !== 'pending',
      `the event of ${uuid} settled`,
    );

  beforeAll(async () => {
    a = new StatusReceiver({ secrets: [SECRET_A] });
    const url = await a.listen();
    t = await createTestApp({
      API_KEYS: `team-a:${KEY_A}`,
      SENDER_NUMBERS: `team-a:${A1}|${A2}`,
      STATUS_CALLBACK_CLIENT_SECRETS: `team-a:${SECRET_A}`,
      INBOUND_CALLBACK_URLS: `team-a:${url}/inbound/a`,
      STATUS_CALLBACK_ALLOWED_HOSTS: new URL(url).host,
      STATUS_CALLBACK_POLL_MS: '50',
      STATUS_CALLBACK_RETRY_BASE_MS: '50',
      STATUS_CALLBACK_TIMEOUT_MS: '3000',
      OPT_OUT_REPLY: 'You are unsubscribed.',
    });
  });
  beforeEach(async () => {
    a.reset();
    await t.reset();
  });
  afterAll(async () => {
    await t?.close();
    await a?.close();
  });

  it('a STOP to the second number of a pool the person already left says unchanged and gets no second confirmation', async () => {
    const first = inbound(A1, 'STOP');
    const second = inbound(A2, 'STOP');
    await post(first);
    await eventOf(first.MessageUUID);
    await post(second);
    await eventOf(second.MessageUUID);
    expect(a.accepted().map((c) => bodyOf(c).keyword)).toEqual([
      { kind: 'opt-out', effect: 'opted-out' },
      { kind: 'opt-out', effect: 'unchanged' },
    ]);
    await eventually(
      () => logs().countDocuments({ reason: 'opt-out-confirmation' }),
      (count) => count >= 1,
      'the first confirmation logged',
    );
    // Give a second confirmation the time the first took; there must be none.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await logs().countDocuments({ reason: 'opt-out-confirmation' })).toBe(1);
  });

  it('the owner URL answering 500 then 200: retried and delivered once', async () => {
    a.failNext(2, 500);
    const p = inbound(A1, 'hello');
    await post(p);
    const event = await eventOf(p.MessageUUID);
    expect([event.state, event.attempts]).toEqual(['delivered', 3]);
    expect(a.received().map((c) => c.answered)).toEqual([500, 500, 200]);
    expect(new Set(a.received().map((c) => c.eventId)).size).toBe(1);
  });

  it("410 stops that message's event only; the next inbound message is still delivered", async () => {
    a.failNext(1, 410);
    const first = inbound(A1, 'one');
    await post(first);
    expect((await eventOf(first.MessageUUID)).state).toBe('stopped');
    const next = inbound(A2, 'two');
    await post(next);
    expect((await eventOf(next.MessageUUID)).state).toBe('delivered');
  });
});
