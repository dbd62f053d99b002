/**
 * Opt-outs (README "Opt-outs"), end to end: real database, the simulator through the real SDK,
 * webhooks signed like Plivo's.
 */
import request from 'supertest';
import { PLIVO_WEBHOOK_ROUTES } from '../../src/mms/plivo/webhook-routes';
import { eventually } from '../support/eventually';
import { postSigned } from '../support/plivo-signing';
import { createTestApp, TEST_SENDER, TestApp } from '../support/test-app';

const KEY = 'opt-outs-client-key-0123456';
const ADMIN = 'opt-outs-admin-key-01234567';
const OTHER_NUMBER = '+14155550199';
const ENV = {
  API_KEYS: `team:${KEY}`,
  ADMIN_API_KEYS: `ops:${ADMIN}`,
  THROTTLE_LIMIT: '100000',
  OPT_OUT_REPLY: 'You are unsubscribed. Reply START to resubscribe.',
  HELP_REPLY: 'Help: reply STOP to unsubscribe.',
};
let seq = 0;

describe('opt-outs (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(ENV);
  });
  beforeEach(() => t.reset());
  afterAll(() => t?.close());

  const recipient = () => `+1415765${String(1000 + seq++).padStart(4, '0')}`;
  const send = (to: string, app = t) =>
    request(app.baseUrl)
      .post('/send-mms')
      .set('X-API-Key', KEY)
      .send({ destinationNumber: to, messageText: 'Hi', mediaUrl: 'https://m.example.com/a.gif' });
  const inbound = (from: string, params: Record<string, string>, to = TEST_SENDER, app = t) =>
    postSigned(
      app.baseUrl,
      PLIVO_WEBHOOK_ROUTES.inbound,
      { MessageUUID: `in-${seq++}-${Date.now()}`, From: from.slice(1), To: to.slice(1), ...params },
      { token: app.authToken },
    ).expect(200);
  const plivoRequestsTo = (to: string) =>
    t.plivo.requests.filter((r) => (r.body as { dst?: string })?.dst === to);

  it.each([
    ['STOP'],
    ['stop'],
    [' Stop. '],
    ['UNSUBSCRIBE!'],
    ['opt out'],
    ['Opt-Out'],
    ['Stop ❤️'],
  ])(
    '%j → a send from that number is 422 RECIPIENT_OPTED_OUT with no Plivo request; another sender still goes',
    async (text) => {
      const me = recipient();
      await inbound(me, { Text: text, Type: 'sms' });
      const refused = await send(me).expect(422);
      expect(refused.body.code).toBe('RECIPIENT_OPTED_OUT');
      expect(
        plivoRequestsTo(me).filter((r) => (r.body as { type?: string }).type === 'mms'),
      ).toEqual([]);
      // Not logged: the only outbound message to that number is the STOP confirmation.
      await t.plivo.waitFor(() => plivoRequestsTo(me).length === 1, 5000);
      const logs = await t.db
        .collection('message_logs')
        .find({ recipient: me, direction: 'outbound' })
        .toArray();
      expect(logs.map((l) => l.reason)).toEqual(['opt-out-confirmation']);

      // STOP to another of our numbers does not stop this one.
      const other = recipient();
      await inbound(other, { Text: text, Type: 'sms' }, OTHER_NUMBER);
      await send(other).expect(202);
    },
  );

  it('MessageIntent=optout counts as STOP whatever the text; START sends again', async () => {
    const me = recipient();
    await inbound(me, { Text: 'please no more', Type: 'sms', MessageIntent: 'optout' });
    await send(me).expect(422);
    await inbound(me, { Text: 'start', Type: 'sms' });
    await send(me).expect(202);
    const record = await request(t.baseUrl)
      .get('/opt-outs')
      .query({ number: me })
      .set('X-API-Key', ADMIN)
      .expect(200);
    expect(record.body.items).toHaveLength(1);
    expect(record.body.items[0]).toMatchObject({
      sender: TEST_SENDER,
      recipient: me,
      optedOut: false,
    });
    expect(
      record.body.items[0].history.map((h: { action: string; source: string }) => [
        h.action,
        h.source,
      ]),
    ).toEqual([
      ['opt-out', 'keyword'],
      ['opt-in', 'keyword'],
    ]);
  });

  it('STOP gets one confirmation; a second STOP gets none', async () => {
    const me = recipient();
    await inbound(me, { Text: 'STOP', Type: 'sms' });
    await t.plivo.waitFor(() => plivoRequestsTo(me).length === 1, 5000);
    // The second STOP changed nothing: its webhook answered without scheduling a reply. The
    // HELP after it is answered (CTIA), and comes after anything the STOP could have sent.
    await inbound(me, { Text: 'STOP', Type: 'sms' });
    await inbound(me, { Text: 'HELP', Type: 'sms' });
    await t.plivo.waitFor(() => plivoRequestsTo(me).length === 2, 5000);
    const sent = plivoRequestsTo(me);
    expect(sent.map((r) => (r.body as { text?: string }).text)).toEqual([
      ENV.OPT_OUT_REPLY,
      ENV.HELP_REPLY,
    ]);
    expect(sent[0].body).toMatchObject({
      src: TEST_SENDER,
      type: 'sms',
      text: ENV.OPT_OUT_REPLY,
    });
    const replies = await t.db
      .collection('message_logs')
      .find({ recipient: me, direction: 'outbound' })
      .sort({ _id: 1 })
      .toArray();
    expect(replies).toMatchObject([
      { channel: 'sms', reason: 'opt-out-confirmation', sender: TEST_SENDER },
      { channel: 'sms', reason: 'help', sender: TEST_SENDER },
    ]);
  });

  it('HELP → the help reply, once within the window', async () => {
    const me = recipient();
    const throttled = await metric('opt_out_replies_total', { kind: 'help', outcome: 'throttled' });
    await inbound(me, { Text: 'help', Type: 'sms' });
    await inbound(me, { Text: 'INFO', Type: 'sms' });
    await t.plivo.waitFor(() => plivoRequestsTo(me).length === 1, 5000);
    // The second one found the window taken: both replies are decided, one was sent.
    await untilMetric(
      'opt_out_replies_total',
      { kind: 'help', outcome: 'throttled' },
      throttled + 1,
    );
    expect(plivoRequestsTo(me)).toHaveLength(1);
    expect(plivoRequestsTo(me)[0].body).toMatchObject({ text: ENV.HELP_REPLY, type: 'sms' });
  });

  it('STOP → START → STOP within 5 minutes: exactly one STOP confirmation, the state follows every change', async () => {
    // "At most one reply per (number, keyword kind) per 5 minutes" and "never more than one
    // confirmation after a STOP": the second STOP changes the list (opted out again) but its
    // confirmation falls in the first one's window, so it is throttled, not sent.
    const me = recipient();
    const throttled = await metric('opt_out_replies_total', {
      kind: 'opt-out',
      outcome: 'throttled',
    });
    await inbound(me, { Text: 'STOP', Type: 'sms' });
    await t.plivo.waitFor(() => plivoRequestsTo(me).length === 1, 5000);
    await inbound(me, { Text: 'START', Type: 'sms' });
    await inbound(me, { Text: 'stop', Type: 'sms' });
    await untilMetric(
      'opt_out_replies_total',
      { kind: 'opt-out', outcome: 'throttled' },
      throttled + 1,
    );
    expect(plivoRequestsTo(me).map((r) => (r.body as { text?: string }).text)).toEqual([
      ENV.OPT_OUT_REPLY,
    ]);
    const record = await t.db.collection('opt_outs').findOne({ recipient: me });
    expect(record?.optedOut).toBe(true);
    expect(record?.history.map((h: { action: string }) => h.action)).toEqual([
      'opt-out',
      'opt-in',
      'opt-out',
    ]);
    await send(me).expect(422);
  });

  it('MessageIntent=optin opts back in and MessageIntent=help gets the help reply, whatever the text', async () => {
    const me = recipient();
    await inbound(me, { Text: 'STOP', Type: 'sms' });
    await send(me).expect(422);
    await inbound(me, { Text: 'ok fine', Type: 'sms', MessageIntent: 'optin' });
    await send(me).expect(202);
    const record = await t.db.collection('opt_outs').findOne({ recipient: me });
    expect(record?.history.at(-1)).toMatchObject({ action: 'opt-in', source: 'keyword' });

    const other = recipient();
    await inbound(other, { Text: 'what is this?', Type: 'sms', MessageIntent: 'help' });
    await t.plivo.waitFor(() => plivoRequestsTo(other).length === 1, 5000);
    expect(plivoRequestsTo(other)[0].body).toMatchObject({ text: ENV.HELP_REPLY, type: 'sms' });
    expect(await t.db.collection('opt_outs').countDocuments({ recipient: other })).toBe(0);
  });

  it('GET /opt-outs follows nextCursor: two pages, newest first, exact contents', async () => {
    const sender = `+1415555${String(1000 + seq++).padStart(4, '0')}`;
    const [a, b, c] = [recipient(), recipient(), recipient()];
    for (const [who, reason] of [
      [a, 'first'],
      [b, 'second'],
      [c, 'third'],
    ])
      await request(t.baseUrl)
        .put(`/opt-outs/${sender}/${who}`)
        .set('X-API-Key', ADMIN)
        .send({ reason })
        .expect(200);
    const page = (cursor?: string) =>
      request(t.baseUrl)
        .get('/opt-outs')
        .query({ sender, limit: 2, ...(cursor ? { cursor } : {}) })
        .set('X-API-Key', ADMIN)
        .expect(200);
    const entry = (recipient: string, reason: string) => ({
      sender,
      recipient,
      optedOut: true,
      // A number no SENDER_NUMBERS pool holds: its opt-outs apply to itself alone.
      scope: 'pool',
      appliesTo: [sender],
      history: [
        { action: 'opt-out', source: 'api', clientId: 'ops', reason, at: expect.any(String) },
      ],
      updatedAt: expect.any(String),
    });
    const first = await page();
    expect(first.body).toEqual({
      items: [entry(c, 'third'), entry(b, 'second')],
      nextCursor: expect.stringMatching(/^[0-9a-f]{24}$/),
    });
    const second = await page(first.body.nextCursor);
    expect(second.body).toEqual({ items: [entry(a, 'first')], nextCursor: null });
  });

  it('a non-admin key gets 403 before any validation; a reason is trimmed and must not be blank', async () => {
    const me = recipient();
    for (const req of [
      request(t.baseUrl).get('/opt-outs').query({ cursor: 'nope', limit: 0 }),
      request(t.baseUrl).put(`/opt-outs/${TEST_SENDER}/not-a-number`).send({}),
      request(t.baseUrl).delete(`/opt-outs/nope/${me}`).query({ reason: ' ' }),
    ]) {
      const res = await req.set('X-API-Key', KEY).expect(403);
      expect(res.body.code).toBe('ADMIN_KEY_REQUIRED');
    }
    for (const reason of ['', '   ', '\t\n']) {
      const res = await request(t.baseUrl)
        .put(`/opt-outs/${TEST_SENDER}/${me}`)
        .set('X-API-Key', ADMIN)
        .send({ reason })
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    }
    const added = await request(t.baseUrl)
      .put(`/opt-outs/${TEST_SENDER}/${me}`)
      .set('X-API-Key', ADMIN)
      .send({ reason: '  asked by phone  ' })
      .expect(200);
    expect(added.body.history[0].reason).toBe('asked by phone');
    await request(t.baseUrl)
      .delete(`/opt-outs/${TEST_SENDER}/${me}`)
      .query({ reason: '  ' })
      .set('X-API-Key', ADMIN)
      .expect(400);
    const removed = await request(t.baseUrl)
      .delete(`/opt-outs/${TEST_SENDER}/${me}`)
      .query({ reason: ' called back ' })
      .set('X-API-Key', ADMIN)
      .expect(200);
    expect(removed.body.history.at(-1)).toMatchObject({ action: 'opt-in', reason: 'called back' });
  });

  it('metrics: opt_out_changes_total by source, and refused sends as mms_messages_total{outcome="refused",reason="opted-out"}', async () => {
    const counts = async () => ({
      keyword: await metric('opt_out_changes_total', { action: 'opt-out', source: 'keyword' }),
      callback: await metric('opt_out_changes_total', {
        action: 'opt-out',
        source: 'callback-error-200',
      }),
      apiOut: await metric('opt_out_changes_total', { action: 'opt-out', source: 'api' }),
      apiIn: await metric('opt_out_changes_total', { action: 'opt-in', source: 'api' }),
      refused: await metric('mms_messages_total', {
        outcome: 'refused',
        reason: 'opted-out',
        client: 'team',
      }),
    });
    const before = await counts();
    const me = recipient();
    // Through the simulator, which remembers the STOP like Plivo: keyword opt-out here.
    await t.plivo.sendInbound({
      url: t.baseUrl + PLIVO_WEBHOOK_ROUTES.inbound,
      from: me,
      to: TEST_SENDER,
      text: 'STOP',
      type: 'sms',
    });
    await t.plivo.waitFor(() => plivoRequestsTo(me).length === 1, 5000); // the confirmation
    await send(me).expect(422);
    await request(t.baseUrl)
      .delete(`/opt-outs/${TEST_SENDER}/${me}`)
      .set('X-API-Key', ADMIN)
      .expect(200);
    await send(me).expect(202); // Plivo still has the STOP: failed, error 200 → opted out again
    await untilMetric(
      'opt_out_changes_total',
      { action: 'opt-out', source: 'callback-error-200' },
      before.callback + 1,
    );
    await request(t.baseUrl)
      .delete(`/opt-outs/${TEST_SENDER}/${me}`)
      .set('X-API-Key', ADMIN)
      .expect(200);
    await request(t.baseUrl)
      .put(`/opt-outs/${TEST_SENDER}/${me}`)
      .set('X-API-Key', ADMIN)
      .send({ reason: 'e-mail' })
      .expect(200);
    await send(me).expect(422);
    expect(await counts()).toEqual({
      keyword: before.keyword + 1,
      callback: before.callback + 1,
      apiOut: before.apiOut + 1,
      apiIn: before.apiIn + 2,
      refused: before.refused + 2,
    });
  });

  /** The sum of a Prometheus counter's series whose labels include `labels`, from /metrics. */
  async function metric(name: string, labels: Record<string, string>): Promise<number> {
    const text = (await request(t.baseUrl).get('/metrics').expect(200)).text;
    return text
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`))
      .filter((line) => Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  }

  /** Waits until the counter reaches `atLeast` (a background reply is decided and counted). */
  function untilMetric(name: string, labels: Record<string, string>, atLeast: number) {
    return eventually(
      () => metric(name, labels),
      (value) => value >= atLeast,
      `${name}${JSON.stringify(labels)} >= ${atLeast}`,
      5000,
    );
  }

  it('a HELP from an opted-out number is answered (CTIA), once per window; the number stays opted out', async () => {
    const me = recipient();
    await inbound(me, { Text: 'STOP', Type: 'sms' });
    await t.plivo.waitFor(() => plivoRequestsTo(me).length === 1, 5000); // the confirmation
    const throttled = await metric('opt_out_replies_total', { kind: 'help', outcome: 'throttled' });
    await inbound(me, { Text: 'HELP', Type: 'sms' });
    await t.plivo.waitFor(() => plivoRequestsTo(me).length === 2, 5000);
    expect(plivoRequestsTo(me)[1].body).toMatchObject({
      src: TEST_SENDER,
      text: ENV.HELP_REPLY,
      type: 'sms',
    });
    const reply = await t.db
      .collection('message_logs')
      .findOne({ recipient: me, direction: 'outbound', reason: 'help' });
    expect(reply).toMatchObject({ channel: 'sms', clientId: 'gateway' });
    await inbound(me, { Text: 'info', Type: 'sms' });
    await untilMetric(
      'opt_out_replies_total',
      { kind: 'help', outcome: 'throttled' },
      throttled + 1,
    );
    expect(plivoRequestsTo(me)).toHaveLength(2);
    await send(me).expect(422);
    // The window is timed by the database's clock: closed for the next 5 minutes.
    const window = await t.db
      .collection('opt_out_reply_windows')
      .findOne({ _id: `${TEST_SENDER}|${me}|help` as never });
    const left = (window?.until as Date).getTime() - Date.now();
    expect(left).toBeGreaterThan(4 * 60 * 1000);
    expect(left).toBeLessThanOrEqual(5 * 60 * 1000 + 5000);
  });

  it('a "Yes" that changed nothing, delivered again after a STOP (a retry or a replay), does not opt back in', async () => {
    const me = recipient();
    const yes = { MessageUUID: `yes-${seq++}`, From: me.slice(1), To: TEST_SENDER.slice(1) };
    const post = (params: Record<string, string>) =>
      postSigned(t.baseUrl, PLIVO_WEBHOOK_ROUTES.inbound, params, { token: t.authToken }).expect(
        200,
      );
    await post({ ...yes, Text: 'Yes', Type: 'sms' }); // never opted out: a START that changes nothing
    // Recorded (so it acts once), but the pair never opted out: DELETE still finds no opt-out.
    const never = await request(t.baseUrl)
      .delete(`/opt-outs/${TEST_SENDER}/${me}`)
      .set('X-API-Key', ADMIN)
      .expect(404);
    expect(never.body.code).toBe('OPT_OUT_NOT_FOUND');
    await inbound(me, { Text: 'STOP', Type: 'sms' });
    await send(me).expect(422);
    await post({ ...yes, Text: 'Yes', Type: 'sms' }); // the same webhook again
    const refused = await send(me).expect(422);
    expect(refused.body.code).toBe('RECIPIENT_OPTED_OUT');
    const listed = await request(t.baseUrl)
      .get('/opt-outs')
      .query({ number: me })
      .set('X-API-Key', ADMIN)
      .expect(200);
    expect(listed.body.items[0].optedOut).toBe(true);
    expect(
      listed.body.items[0].history.map((h: { action: string; applied?: boolean }) => [
        h.action,
        h.applied,
      ]),
    ).toEqual([
      ['opt-in', false],
      ['opt-out', undefined],
    ]);
  });

  it('a retried STOP webhook acts once', async () => {
    const me = recipient();
    const params = {
      MessageUUID: `retry-${seq++}`,
      From: me.slice(1),
      To: TEST_SENDER.slice(1),
      Text: 'STOP',
      Type: 'sms',
    };
    for (let i = 0; i < 3; i++)
      await postSigned(t.baseUrl, PLIVO_WEBHOOK_ROUTES.inbound, params, {
        token: t.authToken,
      }).expect(200);
    const record = await t.db.collection('opt_outs').findOne({ recipient: me });
    expect(record?.history).toHaveLength(1);
  });

  it('a status callback with error 200 opts out (the simulator answers like Plivo for a remembered STOP)', async () => {
    const me = recipient();
    // The simulator (Plivo) saw the STOP; the gateway is then told to opt back in by hand.
    await t.plivo.sendInbound({
      url: t.baseUrl + PLIVO_WEBHOOK_ROUTES.inbound,
      from: me,
      to: TEST_SENDER,
      text: 'STOP',
      type: 'sms',
    });
    await t.plivo.waitFor(() => plivoRequestsTo(me).length === 1, 5000); // the confirmation
    await request(t.baseUrl)
      .delete(`/opt-outs/${TEST_SENDER}/${me}`)
      .set('X-API-Key', ADMIN)
      .expect(200);
    const accepted = await send(me).expect(202);
    await t.plivo.waitFor(
      () =>
        t.plivo.callbacks.some(
          (c) => c.params.Status === 'failed' && c.params.ErrorCode === '200' && c.status === 200,
        ),
      5000,
    );
    const record = await request(t.baseUrl)
      .get('/opt-outs')
      .query({ number: me })
      .set('X-API-Key', ADMIN)
      .expect(200);
    expect(record.body.items[0].optedOut).toBe(true);
    expect(record.body.items[0].history.at(-1)).toMatchObject({
      action: 'opt-out',
      source: 'callback-error-200',
      messageId: accepted.body.messageId,
    });
    await send(me).expect(422);
  });

  it('an error-200 callback opts out once: replayed after a START, it changes nothing', async () => {
    const me = recipient();
    // The simulator (Plivo) saw the STOP; the gateway is told to opt back in by hand, so the
    // next send is accepted and then refused at the carrier with error 200.
    await t.plivo.sendInbound({
      url: t.baseUrl + PLIVO_WEBHOOK_ROUTES.inbound,
      from: me,
      to: TEST_SENDER,
      text: 'STOP',
      type: 'sms',
    });
    await t.plivo.waitFor(() => plivoRequestsTo(me).length === 1, 5000);
    await request(t.baseUrl)
      .delete(`/opt-outs/${TEST_SENDER}/${me}`)
      .set('X-API-Key', ADMIN)
      .expect(200);
    await send(me).expect(202);
    const isError200 = (c: (typeof t.plivo.callbacks)[number]) =>
      c.params.Status === 'failed' && c.params.ErrorCode === '200' && c.params.To === me;
    await t.plivo.waitFor(
      () => t.plivo.callbacks.some((c) => isError200(c) && c.status === 200),
      5000,
    );
    const callback = t.plivo.callbacks.find(isError200)!;
    await send(me).expect(422);

    // The person texts START: opted back in.
    // (No send now: the simulator still remembers the STOP and would refuse it with a new
    // error 200, a legitimate opt-out of its own.)
    await inbound(me, { Text: 'START', Type: 'sms' });
    const before = await t.db.collection('opt_outs').findOne({ recipient: me });
    expect(before?.optedOut).toBe(false);

    // Plivo retries (or delivers late) the same error-200 callback: nothing changes.
    const url = new URL(callback.url);
    await postSigned(t.baseUrl, url.pathname + url.search, callback.params, {
      token: t.authToken,
    }).expect(200);
    const after = await t.db.collection('opt_outs').findOne({ recipient: me });
    expect(after?.optedOut).toBe(false);
    expect(after?.history).toEqual(before?.history);
  });

  it('the API: add, list, remove, with history and who did it; admin keys only', async () => {
    const me = recipient();
    const forbidden = await request(t.baseUrl).get('/opt-outs').set('X-API-Key', KEY).expect(403);
    expect(forbidden.body.code).toBe('ADMIN_KEY_REQUIRED');
    await request(t.baseUrl)
      .put(`/opt-outs/${TEST_SENDER}/${me}`)
      .set('X-API-Key', KEY)
      .send({ reason: 'x' })
      .expect(403);
    const missing = await request(t.baseUrl)
      .delete(`/opt-outs/${TEST_SENDER}/${me}`)
      .set('X-API-Key', ADMIN)
      .expect(404);
    expect(missing.body.code).toBe('OPT_OUT_NOT_FOUND');
    await request(t.baseUrl)
      .put(`/opt-outs/${TEST_SENDER}/not-a-number`)
      .set('X-API-Key', ADMIN)
      .send({ reason: 'x' })
      .expect(400);

    const added = await request(t.baseUrl)
      .put(`/opt-outs/${TEST_SENDER}/${me}`)
      .set('X-API-Key', ADMIN)
      .send({ reason: 'asked by e-mail' })
      .expect(200);
    expect(added.body).toMatchObject({
      optedOut: true,
      history: [{ action: 'opt-out', source: 'api', clientId: 'ops', reason: 'asked by e-mail' }],
    });
    await send(me).expect(422);
    const listed = await request(t.baseUrl)
      .get('/opt-outs')
      .query({ sender: TEST_SENDER, limit: 1 })
      .set('X-API-Key', ADMIN)
      .expect(200);
    expect(listed.body.items[0].recipient).toBe(me);
    const removed = await request(t.baseUrl)
      .delete(`/opt-outs/${TEST_SENDER}/${me}`)
      .set('X-API-Key', ADMIN)
      .expect(200);
    expect(removed.body.optedOut).toBe(false);
    expect(removed.body.history.at(-1)).toMatchObject({
      action: 'opt-in',
      source: 'api',
      clientId: 'ops',
    });
    await send(me).expect(202);
    await request(t.baseUrl)
      .get('/opt-outs')
      .query({ cursor: 'nope' })
      .set('X-API-Key', ADMIN)
      .expect(400);
  });

  it('an unsigned STOP changes nothing', async () => {
    const me = recipient();
    await request(t.baseUrl)
      .post(PLIVO_WEBHOOK_ROUTES.inbound)
      .type('form')
      .send({
        MessageUUID: 'unsigned-1',
        From: me.slice(1),
        To: TEST_SENDER.slice(1),
        Text: 'STOP',
      })
      .expect(403);
    expect(await t.db.collection('opt_outs').countDocuments({ recipient: me })).toBe(0);
    await send(me).expect(202);
  });

  it('two instances on one database agree immediately', async () => {
    const b = await createTestApp(ENV, {}, { dbName: t.dbName });
    try {
      const me = recipient();
      await inbound(me, { Text: 'STOP', Type: 'sms' }); // on instance A
      await send(me, b).expect(422);
      await request(b.baseUrl)
        .delete(`/opt-outs/${TEST_SENDER}/${me}`)
        .set('X-API-Key', ADMIN)
        .expect(200);
      await send(me).expect(202);
    } finally {
      await b.close();
    }
  });
});
