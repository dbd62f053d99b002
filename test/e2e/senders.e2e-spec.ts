import request from 'supertest';
import { MessageLog } from '../../src/mms/message-log/message-log.schema';
import { PLIVO_WEBHOOK_ROUTES } from '../../src/mms/plivo/webhook-routes';
import { postSigned } from '../support/plivo-signing';
import { createTestApp, TEST_SENDER, TestApp } from '../support/test-app';

const ALPHA_KEY = 'senders-alpha-key-0123456789';
const BETA_KEY = 'senders-beta-key-0123456789';
const ADMIN_KEY = 'senders-admin-key-0123456789';
/** Two numbers per client, each with an area code of its own (212, 310; 617, 718). */
const ALPHA = ['+12125550101', '+13105550102'];
const BETA = ['+16175550103', '+17185550104'];
const ENV = {
  API_KEYS: `alpha:${ALPHA_KEY},beta:${BETA_KEY}`,
  ADMIN_API_KEYS: `ops:${ADMIN_KEY}`,
  SENDER_NUMBERS: `alpha:${ALPHA.join('|')},beta:${BETA.join('|')}`,
  THROTTLE_LIMIT: '100000',
};
const body = (destinationNumber: string, extra: Record<string, unknown> = {}) => ({
  destinationNumber,
  messageText: 'Hello',
  mediaUrl: 'https://media.example.com/a.gif',
  ...extra,
});

const send = (t: TestApp, key: string, payload: Record<string, unknown>) =>
  request(t.baseUrl).post('/send-mms').set('X-API-Key', key).send(payload);

/** The `src` of each message Plivo received, in order (the SDK may send it without the +). */
const sources = (t: TestApp) =>
  t.plivo.sentMessages.map((r) => `+${String((r.body as { src: string }).src).replace(/^\+/, '')}`);

/**
 * Sender pools (SENDER_NUMBERS) through the real app, database and simulator: each client
 * sends from its own numbers only; a send naming none gets the sticky number, else one with
 * the recipient's area code, else the one free soonest under per-number pacing; GET /senders.
 */
describe('sender numbers (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(ENV);
  });
  afterAll(async () => t?.close());
  beforeEach(async () => t.reset());

  it('each client sends only from its own numbers, spread over both', async () => {
    for (const [key, n] of [
      [ALPHA_KEY, 1],
      [BETA_KEY, 2],
      [ALPHA_KEY, 3],
      [BETA_KEY, 4],
    ] as const)
      await send(t, key, body(`+1202555000${n}`)).expect(202);
    await send(t, ALPHA_KEY, body('+12025550009', { senderNumber: ALPHA[1] })).expect(202);
    await send(t, BETA_KEY, body('+12025550009', { senderNumber: BETA[0] })).expect(202);
    const from = sources(t);
    expect(from).toHaveLength(6);
    // A pool's numbers share the load: two sends to new recipients go from both numbers.
    expect([new Set([from[0], from[2]]).size, new Set([from[1], from[3]]).size]).toEqual([2, 2]);
    const byClient = [0, 2, 4].map((i) => from[i]);
    expect([byClient.every((n) => ALPHA.includes(n)), from[4]]).toEqual([true, ALPHA[1]]);
    expect([[1, 3, 5].every((i) => BETA.includes(from[i])), from[5]]).toEqual([true, BETA[0]]);
  });

  it("a named sender outside the caller's pool: 403 SENDER_NOT_ALLOWED, nothing sent or logged", async () => {
    for (const other of [BETA[0], TEST_SENDER]) {
      const res = await send(t, ALPHA_KEY, body('+12025550001', { senderNumber: other }));
      expect([other, res.status, res.body.code]).toEqual([other, 403, 'SENDER_NOT_ALLOWED']);
    }
    expect(t.plivo.requests).toEqual([]);
    expect(await t.db.model(MessageLog.name).countDocuments()).toBe(0);
  });

  it('a malformed senderNumber: 400 VALIDATION_FAILED naming the field', async () => {
    const res = await send(t, ALPHA_KEY, body('+12025550001', { senderNumber: '555-0101' }));
    expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(JSON.stringify(res.body.errors)).toContain('senderNumber');
    expect(t.plivo.requests).toEqual([]);
  });

  it("sticky: after the recipient wrote to the pool's second number, 5 sends all go from it", async () => {
    const recipient = '+16465550042'; // area code 646: no number of the pool has it
    await postSigned(
      t.baseUrl,
      PLIVO_WEBHOOK_ROUTES.inbound,
      { MessageUUID: 'in-sticky-1', From: recipient.slice(1), To: ALPHA[1].slice(1), Text: 'hi' },
      { token: t.authToken },
    ).expect(200);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await send(t, ALPHA_KEY, body(recipient)).expect(202)).body.messageId);
    expect(sources(t)).toEqual(Array(5).fill(ALPHA[1]));
    const shown = await request(t.baseUrl).get(`/messages/${ids[4]}`).set('X-API-Key', ALPHA_KEY);
    expect([shown.body.sender, shown.body.senderChoice]).toEqual([ALPHA[1], 'sticky']);
  });

  it('sticky after a named first send: the following sends keep its number', async () => {
    const recipient = '+16465550043';
    await send(t, ALPHA_KEY, body(recipient, { senderNumber: ALPHA[1] })).expect(202);
    for (let i = 0; i < 4; i++) await send(t, ALPHA_KEY, body(recipient)).expect(202);
    expect(sources(t)).toEqual(Array(5).fill(ALPHA[1]));
    const choices = await t.db
      .model(MessageLog.name)
      .find({ recipient }, { senderChoice: 1 }, { sort: { _id: 1 } })
      .lean();
    expect(choices.map((c) => c.senderChoice)).toEqual(['requested', ...Array(4).fill('sticky')]);
  });

  it("area code: a new recipient gets the pool's number with its area code; GET /messages/:id shows it", async () => {
    const to310 = await send(t, ALPHA_KEY, body('+13105559876')).expect(202);
    const to212 = await send(t, ALPHA_KEY, body('+12125559876')).expect(202);
    expect(sources(t)).toEqual([ALPHA[1], ALPHA[0]]);
    const shown = await request(t.baseUrl)
      .get(`/messages/${to310.body.messageId}`)
      .set('X-API-Key', ALPHA_KEY)
      .expect(200);
    expect([shown.body.sender, shown.body.senderChoice]).toEqual([ALPHA[1], 'area-code']);
    const other = await request(t.baseUrl)
      .get(`/messages/${to212.body.messageId}`)
      .set('X-API-Key', ADMIN_KEY)
      .expect(200);
    expect([other.body.sender, other.body.senderChoice]).toEqual([ALPHA[0], 'area-code']);
  });

  it('GET /senders: a client sees its own pool with rates and backlog; an admin sees every pool and the default one', async () => {
    const later = new Date(Date.now() + 60_000).toISOString();
    await send(t, ALPHA_KEY, body('+13105559876', { sendAt: later })).expect(202);
    await send(t, ALPHA_KEY, body('+13105559877', { sendAt: later })).expect(202);
    await send(t, BETA_KEY, body('+16175559876', { sendAt: later })).expect(202);
    const rates = { mms: 0, sms: 0 };
    const alpha = await request(t.baseUrl).get('/senders').set('X-API-Key', ALPHA_KEY).expect(200);
    expect(alpha.body).toEqual({
      items: [
        { number: ALPHA[0], client: 'alpha', rates, backlog: 0 },
        { number: ALPHA[1], client: 'alpha', rates, backlog: 2 },
      ],
      accountRates: { mms: 0, sms: 0 },
    });
    const admin = await request(t.baseUrl).get('/senders').set('X-API-Key', ADMIN_KEY).expect(200);
    expect(admin.body.items).toEqual([
      { number: ALPHA[0], client: 'alpha', rates, backlog: 0 },
      { number: ALPHA[1], client: 'alpha', rates, backlog: 2 },
      { number: BETA[0], client: 'beta', rates, backlog: 1 },
      { number: BETA[1], client: 'beta', rates, backlog: 0 },
      { number: TEST_SENDER, client: null, rates, backlog: 0 },
    ]);
    await request(t.baseUrl).get('/senders').expect(401);
  });

  it('metrics per sender number: sends by outcome, choices by kind', async () => {
    await send(t, ALPHA_KEY, body('+13105559876')).expect(202);
    await send(t, BETA_KEY, body('+16175559876', { senderNumber: BETA[1] })).expect(202);
    const text = (await request(t.baseUrl).get('/metrics').expect(200)).text;
    expect(text).toMatch(
      new RegExp(`mms_sender_messages_total\\{sender="\\${ALPHA[1]}",outcome="queued"\\} [1-9]`),
    );
    expect(text).toMatch(
      new RegExp(`mms_sender_choices_total\\{sender="\\${ALPHA[1]}",choice="area-code"\\} [1-9]`),
    );
    expect(text).toMatch(
      new RegExp(`mms_sender_choices_total\\{sender="\\${BETA[1]}",choice="requested"\\} [1-9]`),
    );
  });
});

describe('sender numbers under per-number pacing (e2e)', () => {
  const RATE = 2; // per number; the account's cap far above it
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      ...ENV,
      PACING_SENDER_MMS_PER_SECOND: String(RATE),
      PACING_ACCOUNT_MMS_PER_SECOND: '1000',
    });
  });
  afterAll(async () => t?.close());

  it('10 sends to 10 new recipients spread over both numbers, each number within its rate', async () => {
    // Area code 202: no number of the pool has it, so each goes from the number free soonest.
    for (let i = 0; i < 10; i++)
      await send(t, ALPHA_KEY, body(`+120255501${String(i).padStart(2, '0')}`)).expect(202);
    const sent = t.plivo.sentMessages.map((r) => ({
      src: `+${String((r.body as { src: string }).src).replace(/^\+/, '')}`,
      at: r.at.getTime(),
    }));
    expect(sent).toHaveLength(10);
    const counts = ALPHA.map((n) => sent.filter((s) => s.src === n).length);
    expect(counts).toEqual([5, 5]);
    // A number's sends at least one interval apart, less the 100 ms a slot may be used late
    // (Pacer.slotGraceMs) and 50 ms for the trip to the simulator, whose arrival times are what
    // is measured here (a loaded machine delays one request more than the next: 396 ms seen).
    const gaps = ALPHA.flatMap((n) => {
      const times = sent.filter((s) => s.src === n).map((s) => s.at);
      return times.slice(1).map((at, i) => at - times[i]);
    });
    expect(gaps.filter((gap) => gap < 1000 / RATE - 150)).toEqual([]);
    const choices = await t.db.model(MessageLog.name).distinct('senderChoice');
    expect(choices).toEqual(['soonest']);
  });
});
