/**
 * Opt-outs across a sender pool (README "Opt-outs", OPT_OUT_SCOPE), end to end: two clients
 * with two numbers each, real database, the simulator through the real SDK, webhooks signed
 * like Plivo's.
 */
import { Types } from 'mongoose';
import request from 'supertest';
import { PLIVO_WEBHOOK_ROUTES } from '../../src/mms/plivo/webhook-routes';
import { eventually } from '../support/eventually';
import { postSigned } from '../support/plivo-signing';
import { createTestApp, TestApp } from '../support/test-app';

const ALPHA_KEY = 'pools-alpha-key-0123456789';
const BETA_KEY = 'pools-beta-key-01234567890';
const ADMIN = 'pools-admin-key-0123456789';
const [A1, A2, B1] = ['+14155550111', '+14155550112', '+14155550121'];
const ENV = {
  API_KEYS: `alpha:${ALPHA_KEY},beta:${BETA_KEY}`,
  ADMIN_API_KEYS: `ops:${ADMIN}`,
  SENDER_NUMBERS: `alpha:${A1}|${A2},beta:${B1}|+14155550122`,
  THROTTLE_LIMIT: '100000',
  OPT_IN_REPLY: 'Welcome back.',
  DISPATCH_POLL_MS: '50',
};
let seq = 0;

describe('opt-outs across a pool (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(ENV);
  });
  beforeEach(() => t.reset());
  afterAll(() => t?.close());

  const recipient = () => `+1415766${String(1000 + seq++).padStart(4, '0')}`;
  const send = (to: string, senderNumber: string, extra: object = {}, app = t) =>
    request(app.baseUrl)
      .post('/send-mms')
      .set('X-API-Key', senderNumber === B1 ? BETA_KEY : ALPHA_KEY)
      .send({
        destinationNumber: to,
        senderNumber,
        messageText: 'Hi',
        mediaUrl: 'https://m.example.com/a.gif',
        ...extra,
      });
  const inbound = (from: string, to: string, text: string, uuid = `pool-in-${seq++}`, app = t) =>
    postSigned(
      app.baseUrl,
      PLIVO_WEBHOOK_ROUTES.inbound,
      { MessageUUID: uuid, From: from.slice(1), To: to.slice(1), Text: text, Type: 'sms' },
      { token: app.authToken },
    ).expect(200);
  type Sent = { src?: string; dst?: string; type?: string; text?: string };
  const sentTo = (to: string, type: 'mms' | 'sms', app = t) =>
    app.plivo.requests
      .map((r) => r.body as Sent)
      .filter((body) => body.dst === to && body.type === type);
  const mmsTo = (to: string, app = t) => sentTo(to, 'mms', app);
  const refused = async (res: request.Response) => {
    expect([res.status, res.body.code]).toEqual([422, 'RECIPIENT_OPTED_OUT']);
  };

  it("a STOP to one number blocks sends from the other number of the pool (no Plivo request), not from another client's", async () => {
    const me = recipient();
    await inbound(me, A1, 'STOP');
    await refused(await send(me, A2));
    await refused(await send(me, A1));
    expect(mmsTo(me)).toEqual([]);
    await send(me, B1).expect(202);
    expect(mmsTo(me).map((body) => body.src)).toEqual([B1]);
  });

  it('START to the other number of the pool lifts both, and is confirmed from that number', async () => {
    const me = recipient();
    await inbound(me, A1, 'STOP');
    await inbound(me, A2, 'START');
    await send(me, A1).expect(202);
    await send(me, A2).expect(202);
    await t.plivo.waitFor(() => sentTo(me, 'sms').length > 0, 5000);
    expect(sentTo(me, 'sms').map((body) => [body.src, body.text])).toEqual([
      [A2, ENV.OPT_IN_REPLY],
    ]);
    const a1 = await t.db.collection('opt_outs').findOne({ sender: A1, recipient: me });
    expect(a1?.history.map((h: { action: string; source: string }) => h.action)).toEqual([
      'opt-out',
      'opt-in',
    ]);
  });

  it('a START replayed after a later STOP to the other number of the pool lifts nothing', async () => {
    const me = recipient();
    // The START finds only its own number opted out: A1's record never saw its MessageUUID.
    await inbound(me, A2, 'STOP');
    await inbound(me, A2, 'START', 'pool-start-replayed');
    await inbound(me, A1, 'STOP');
    await inbound(me, A2, 'START', 'pool-start-replayed'); // the same webhook again
    await refused(await send(me, A2));
    await refused(await send(me, A1));
  });

  it('the API in pool scope: PUT stops the pool, GET ?sender= lists the pool with its scope, DELETE lifts the pool', async () => {
    const me = recipient();
    const missing = await request(t.baseUrl)
      .delete(`/opt-outs/${A2}/${me}`)
      .set('X-API-Key', ADMIN)
      .expect(404);
    expect(missing.body.code).toBe('OPT_OUT_NOT_FOUND');
    await inbound(me, A1, 'STOP');
    const put = await request(t.baseUrl)
      .put(`/opt-outs/${A2}/${me}`)
      .set('X-API-Key', ADMIN)
      .send({ reason: 'e-mail' })
      .expect(200);
    expect(put.body).toMatchObject({ sender: A2, scope: 'pool', appliesTo: [A2, A1] });
    const other = recipient();
    await inbound(other, B1, 'STOP');

    const listed = await request(t.baseUrl)
      .get('/opt-outs')
      .query({ sender: A2, limit: 1 })
      .set('X-API-Key', ADMIN)
      .expect(200);
    const next = await request(t.baseUrl)
      .get('/opt-outs')
      .query({ sender: A2, limit: 1, cursor: listed.body.nextCursor })
      .set('X-API-Key', ADMIN)
      .expect(200);
    expect([...listed.body.items, ...next.body.items]).toMatchObject([
      { sender: A2, recipient: me, optedOut: true, scope: 'pool', appliesTo: [A2, A1] },
      { sender: A1, recipient: me, optedOut: true, scope: 'pool', appliesTo: [A1, A2] },
    ]);
    expect(next.body.nextCursor).toBeNull();
    // The pool's page with its cursor: a range per sender on (sender, _id), merged in _id order
    // (SORT_MERGE, no blocking SORT). The planner may prefer _id alone on a table this small;
    // the hint shows the pool's index serves the page.
    const page = t.db
      .collection('opt_outs')
      .find({ sender: { $in: [A2, A1] }, _id: { $lt: new Types.ObjectId(listed.body.nextCursor) } })
      .sort({ _id: -1 })
      .limit(2);
    const plan = JSON.stringify(await page.explain());
    expect([plan.includes('COLLSCAN'), /IXSCAN/.test(plan)]).toEqual([false, true]);
    const winning = JSON.stringify(
      ((await page.hint({ sender: 1, _id: -1 }).explain()) as { queryPlanner: object })
        .queryPlanner,
    );
    expect([/"SORT_MERGE"/.test(winning), /"stage":"SORT"/.test(winning)]).toEqual([true, false]);

    const removed = await request(t.baseUrl)
      .delete(`/opt-outs/${A2}/${me}`)
      .set('X-API-Key', ADMIN)
      .expect(200);
    expect(removed.body).toMatchObject({ sender: A2, optedOut: false });
    await send(me, A1).expect(202);
    await send(me, A2).expect(202);
    expect(
      (await t.db.collection('opt_outs').findOne({ sender: A1, recipient: me }))?.history.at(-1),
    ).toMatchObject({ action: 'opt-in', source: 'api', clientId: 'ops' });
    await refused(await send(other, B1)); // another pool's record untouched
  });

  it('a scheduled message to someone who then STOPs another number of the pool ends failed RECIPIENT_OPTED_OUT at dispatch', async () => {
    const me = recipient();
    const res = await send(me, A2, { sendAt: new Date(Date.now() + 2000).toISOString() }).expect(
      202,
    );
    await inbound(me, A1, 'STOP');
    const ended = await eventually(
      () => t.db.collection('message_logs').findOne({ recipient: me, direction: 'outbound' }),
      (m) => m?.status !== 'scheduled' && m?.status !== 'pending',
      'the scheduled message decided',
      6000,
    );
    expect([String(ended?._id), ended?.status, ended?.errorCode]).toEqual([
      res.body.messageId,
      'failed',
      'RECIPIENT_OPTED_OUT',
    ]);
    expect(mmsTo(me)).toEqual([]);
  });

  it('OPT_OUT_SCOPE=number keeps the per-number behaviour', async () => {
    const n = await createTestApp({ ...ENV, OPT_OUT_SCOPE: 'number' });
    try {
      const me = recipient();
      await inbound(me, A1, 'STOP', undefined, n);
      await refused(await send(me, A1, {}, n));
      await send(me, A2, {}, n).expect(202);
      await inbound(me, A2, 'START', undefined, n);
      await refused(await send(me, A1, {}, n));
      const listed = await request(n.baseUrl)
        .get('/opt-outs')
        .query({ sender: A1 })
        .set('X-API-Key', ADMIN)
        .expect(200);
      expect(listed.body.items).toMatchObject([
        { sender: A1, recipient: me, optedOut: true, scope: 'number', appliesTo: [A1] },
      ]);
      await request(n.baseUrl).delete(`/opt-outs/${A2}/${me}`).set('X-API-Key', ADMIN).expect(404);
    } finally {
      await n.close();
    }
  });
});
