import { Types } from 'mongoose';
import request from 'supertest';
import { MessageLog } from '../../src/mms/message-log/message-log.schema';
import { Campaign } from '../../src/mms/campaigns/campaign.schema';
import { PLIVO_WEBHOOK_ROUTES } from '../../src/mms/plivo/webhook-routes';
import { eventually } from '../support/eventually';
import { postSigned } from '../support/plivo-signing';
import { createTestApp, TEST_SENDER, TestApp } from '../support/test-app';

const KEY_A = 'campaigns-client-a-key-0123';
const KEY_B = 'campaigns-client-b-key-0123';
const ADMIN = 'campaigns-admin-key-0123456';
const MEDIA = 'https://media.example.com/sale.gif';
const FINAL = ['queued', 'sent', 'delivered'];

/** The n-th test recipient: a valid San Francisco number the simulator accepts. */
const number = (n: number) => `+1415765${String(1000 + n).padStart(4, '0')}`;
/** The same number as a caller might spell it: `(415) 765-1003`. */
const national = (n: number) => `(415) 765-${String(1000 + n).padStart(4, '0')}`;

/**
 * Campaigns on the real database and simulator: creation (dedupe, opt-outs, invalid numbers,
 * dry run, strict, bad input, body limit, Idempotency-Key), delivery through the dispatch
 * queue (paced at 20 MMS/s, so a campaign is mid-way long enough to pause or cancel), control
 * and progress.
 */
describe('campaigns (e2e)', () => {
  let t: TestApp;
  const logs = () => t.db.model<MessageLog>(MessageLog.name);
  const campaigns = () => t.db.model<Campaign>(Campaign.name);
  const post = (body: object, key = KEY_A) =>
    request(t.baseUrl).post('/campaigns').set('X-API-Key', key).send(body);
  const get = (path: string, key = KEY_A) =>
    request(t.baseUrl).get(path).set('X-API-Key', key).expect(200);
  const control = (id: string, action: string, key = KEY_A) =>
    request(t.baseUrl).post(`/campaigns/${id}/${action}`).set('X-API-Key', key);
  const requestsTo = (to: string) =>
    t.plivo.requests.filter((r) => (r.body as { dst?: string })?.dst === to);
  const plivoSends = () => t.plivo.sentMessages.length;
  const campaign = (recipients: string[], extra: object = {}) => ({
    name: 'Spring sale',
    messageText: 'Spring sale: 20% off today',
    mediaUrl: MEDIA,
    recipients,
    ...extra,
  });

  beforeAll(async () => {
    t = await createTestApp({
      API_KEYS: `team-a:${KEY_A},team-b:${KEY_B}`,
      ADMIN_API_KEYS: `ops:${ADMIN}`,
      DISPATCH_POLL_MS: '50',
      DISPATCH_LEASE_MS: '2000',
      PACING_ACCOUNT_MMS_PER_SECOND: '20',
      // Events are only looked at in the log: their URL answers nothing.
      STATUS_CALLBACK_SECRET: 'campaigns-e2e-status-callback-secret-0123456789',
      STATUS_CALLBACK_ALLOWED_HOSTS: '127.0.0.1:9',
    });
  });
  beforeEach(async () => t.reset());
  afterAll(async () => t?.close());

  it('50 recipients with duplicates and an opted-out one: counts right, those never sent, every other recipient sent exactly once, progress consistent at every poll', async () => {
    const optedOut = number(7);
    // A signed inbound STOP from the recipient to our number opts them out.
    await postSigned(
      t.baseUrl,
      PLIVO_WEBHOOK_ROUTES.inbound,
      {
        MessageUUID: `stop-${Date.now()}`,
        From: optedOut.slice(1),
        To: TEST_SENDER.slice(1),
        Text: 'STOP',
        Type: 'sms',
      },
      { token: t.authToken },
    ).expect(200);
    await eventually(
      () => t.db.collection('opt_outs').countDocuments({ recipient: optedOut, optedOut: true }),
      (n) => n === 1,
      'the opt-out',
    );
    const before = requestsTo(optedOut).length;
    const counted = async () => {
      const text = (await request(t.baseUrl).get('/metrics').expect(200)).text;
      return Object.fromEntries(
        ['created', 'duplicate', 'opted-out', 'invalid'].map((outcome) => [
          outcome,
          Number(
            new RegExp(
              `^mms_campaign_messages_total\\{outcome="${outcome}",client="team-a"\\} (\\d+)$`,
              'm',
            ).exec(text)?.[1] ?? 0,
          ),
        ]),
      );
    };
    const countedBefore = await counted();
    const distinct = Array.from({ length: 45 }, (_, i) => number(i));
    // Five more entries: the same numbers spelled otherwise.
    const recipients = [
      ...distinct,
      national(0),
      national(1),
      number(2),
      ` ${national(3)} `,
      '+1 415 765 1004',
    ];
    const created = await post(campaign(recipients)).expect(201);
    expect(created.body).toEqual({
      campaignId: expect.stringMatching(/^[0-9a-f]{24}$/),
      status: 'running',
      counts: { total: 50, duplicates: 5, optedOut: 1, invalid: 0, scheduled: 44 },
    });
    const id = created.body.campaignId;
    // mms_campaign_messages_total: the messages written and the recipients dropped.
    const countedAfter = await counted();
    expect(
      Object.fromEntries(
        Object.entries(countedAfter).map(([outcome, n]) => [outcome, n - countedBefore[outcome]]),
      ),
    ).toEqual({ created: 44, duplicate: 5, 'opted-out': 1, invalid: 0 });
    const polls: Record<string, number>[] = [];
    await eventually(
      async () => {
        const res = await get(`/campaigns/${id}`);
        polls.push(res.body.messages);
        return res.body.messages as Record<string, number>;
      },
      (m) => (m.scheduled ?? 0) + (m.pending ?? 0) === 0,
      'every message handed over',
      15000,
      100,
    );
    for (const counts of polls) expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(44);
    // Monotone: what left `scheduled` never comes back.
    for (let i = 1; i < polls.length; i++)
      expect(polls[i].scheduled ?? 0).toBeLessThanOrEqual(polls[i - 1].scheduled ?? 0);
    expect(polls.length).toBeGreaterThan(2);
    for (const to of distinct.filter((n) => n !== optedOut)) expect(requestsTo(to)).toHaveLength(1);
    // The opted-out recipient got nothing of the campaign (a STOP confirmation at most).
    expect(requestsTo(optedOut)).toHaveLength(before);
    expect(await logs().countDocuments({ campaignId: id })).toBe(44);
    expect(await logs().countDocuments({ campaignId: id, recipient: optedOut })).toBe(0);
  }, 30000);

  it('dryRun answers the counts and writes nothing; invalid numbers are reported by position and the rest accepted; strict refuses', async () => {
    const recipients = [number(1), 'not a number', number(2), '+1415', number(1)];
    const dry = await post(campaign(recipients, { dryRun: true })).expect(201);
    expect(dry.body).toEqual({
      campaignId: null,
      status: 'running',
      counts: { total: 5, duplicates: 1, optedOut: 0, invalid: 2, scheduled: 2 },
      errors: [
        { field: 'recipients[1]', messages: [expect.stringContaining('not a valid phone number')] },
        { field: 'recipients[3]', messages: [expect.stringContaining('not a valid phone number')] },
      ],
    });
    expect(await campaigns().countDocuments()).toBe(0);
    expect(await logs().countDocuments()).toBe(0);

    const strict = await post(campaign(recipients, { strict: true })).expect(400);
    expect(strict.body.code).toBe('VALIDATION_FAILED');
    expect(strict.body.errors.map((e: { field: string }) => e.field)).toEqual([
      'recipients[1]',
      'recipients[3]',
    ]);
    expect(await campaigns().countDocuments()).toBe(0);

    const real = await post(campaign(recipients)).expect(201);
    expect(real.body.counts).toEqual({
      total: 5,
      duplicates: 1,
      optedOut: 0,
      invalid: 2,
      scheduled: 2,
    });
    expect(real.body.errors.map((e: { field: string }) => e.field)).toEqual([
      'recipients[1]',
      'recipients[3]',
    ]);
    await eventually(
      () => Promise.resolve(plivoSends()),
      (n) => n === 2,
      'both sent',
    );
  });

  it.each([
    ['no recipients', { recipients: [] }, 'recipients'],
    [
      '10,001 recipients',
      { recipients: Array.from({ length: 10_001 }, (_, i) => `+1415${String(2000000 + i)}`) },
      'recipients',
    ],
    ['an unknown field', { colour: 'red' }, 'colour'],
    [
      'a bad time zone',
      { deliveryWindow: { start: '09:00', end: '20:00', timeZone: 'Mars/Olympus' } },
      'deliveryWindow.timeZone',
    ],
    [
      'start == end',
      { deliveryWindow: { start: '09:00', end: '09:00', timeZone: 'UTC' } },
      'deliveryWindow.end',
    ],
    [
      'a bad HH:MM',
      { deliveryWindow: { start: '9am', end: '20:00', timeZone: 'UTC' } },
      'deliveryWindow.start',
    ],
    ['maxPerSecond 0', { maxPerSecond: 0 }, 'maxPerSecond'],
    ['maxPerSecond -1', { maxPerSecond: -1 }, 'maxPerSecond'],
    ['maxPerSecond 5e-324 (below one every 100 s)', { maxPerSecond: 5e-324 }, 'maxPerSecond'],
  ])('%s → 400 VALIDATION_FAILED naming %s; nothing written', async (_, extra, field) => {
    const res = await post(campaign([number(1)], extra)).expect(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(await campaigns().countDocuments()).toBe(0);
  });

  it('a window across midnight is allowed; 10,000 recipients fit the body limit, a larger body is 413', async () => {
    await post(
      campaign([number(1)], {
        dryRun: true,
        deliveryWindow: { start: '22:00', end: '06:00', timeZone: 'America/New_York' },
      }),
    ).expect(201);
    const many = Array.from({ length: 10_000 }, (_, i) => `+1415${String(2000000 + i)}`);
    const started = Date.now();
    const res = await post(campaign(many, { dryRun: true })).expect(201);
    expect(res.body.counts.total).toBe(10_000);
    expect(Date.now() - started).toBeLessThan(5000);
    const huge = await post(
      campaign(many, {
        name: 'x'.repeat(200),
        messageText: 'y'.repeat(1000),
        recipients: many.map((n) => `${n}${' '.repeat(90)}`),
      }),
    );
    expect(huge.status).toBe(413);
    expect(huge.body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('pause mid-way: no more Plivo requests once in-flight settles; resume sends the rest, each once', async () => {
    const recipients = Array.from({ length: 40 }, (_, i) => number(100 + i));
    const { body } = await post(campaign(recipients)).expect(201);
    await eventually(
      () => Promise.resolve(plivoSends()),
      (n) => n >= 5,
      'some sent',
    );
    const paused = await control(body.campaignId, 'pause').expect(200);
    expect(paused.body.status).toBe('paused');
    await control(body.campaignId, 'pause').expect(200);
    // In flight when the pause answered: at most the dispatcher's concurrency, settled quickly.
    await eventually(
      () => logs().countDocuments({ campaignId: body.campaignId, status: 'pending' }),
      (n) => n === 0,
      'in-flight settled',
    );
    const settled = plivoSends();
    expect(settled).toBeLessThan(40);
    await new Promise((r) => setTimeout(r, 1000)); // a second of silence: what a pause promises
    expect(plivoSends()).toBe(settled);
    const progress = await get(`/campaigns/${body.campaignId}`);
    expect(progress.body.messages.scheduled).toBe(40 - settled);

    const resumed = await control(body.campaignId, 'resume').expect(200);
    expect(resumed.body.status).toBe('running');
    await eventually(
      () => Promise.resolve(plivoSends()),
      (n) => n === 40,
      'the rest sent',
      15000,
    );
    for (const to of recipients) expect(requestsTo(to)).toHaveLength(1);
  }, 30000);

  it('cancel mid-way: the rest canceled, never sent; again 200; pause/resume after it 409 CAMPAIGN_FINISHED', async () => {
    const recipients = Array.from({ length: 40 }, (_, i) => number(200 + i));
    const hook = 'http://127.0.0.1:9/hooks/mms-status';
    const { body } = await post(campaign(recipients, { statusCallbackUrl: hook })).expect(201);
    const id = body.campaignId;
    await eventually(
      () => Promise.resolve(plivoSends()),
      (n) => n >= 3,
      'some sent',
    );
    const canceled = await control(id, 'cancel').expect(200);
    expect(canceled.body.status).toBe('canceled');
    expect(canceled.body.finishedAt).toBeDefined();
    await control(id, 'cancel').expect(200);
    await eventually(
      () => logs().countDocuments({ campaignId: id, status: 'pending' }),
      (n) => n === 0,
      'in-flight settled',
    );
    const sent = plivoSends();
    const all = await logs().find({ campaignId: id }).lean();
    const notSent = all.filter((m) => !FINAL.includes(m.status));
    expect(notSent.length).toBe(40 - sent);
    const eventIds = new Set<string>();
    for (const m of notSent) {
      // Its status callback event, with an id of its own although one write canceled them all.
      const event = m.callbackEvents!.at(-1)!;
      expect(event).toMatchObject({ status: 'canceled', previousStatus: 'scheduled', sequence: 1 });
      expect(event.id).toMatch(/^evt_[0-9a-f]{24}$/);
      eventIds.add(event.id);
      expect(m.status).toBe('canceled');
      expect(m.dispatchDueAt).toBeUndefined();
      expect(m.statusHistory.at(-1)).toMatchObject({ status: 'canceled', source: 'api' });
    }
    expect(eventIds.size).toBe(notSent.length);
    const listed = await get(`/campaigns/${id}/messages?status=canceled&limit=100`);
    expect(listed.body.items).toHaveLength(40 - sent);
    await new Promise((r) => setTimeout(r, 500));
    expect(plivoSends()).toBe(sent);
    for (const action of ['pause', 'resume']) {
      const res = await control(id, action).expect(409);
      expect(res.body.code).toBe('CAMPAIGN_FINISHED');
    }
  }, 30000);

  it("another client's campaign is 404 CAMPAIGN_NOT_FOUND on every route; an admin sees it; GET /campaigns pages newest first, own only", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push(
        (
          await post(
            campaign([number(300 + i)], { sendAt: new Date(Date.now() + 3600_000).toISOString() }),
          ).expect(201)
        ).body.campaignId,
      );
    await post(campaign([number(310)]), KEY_B).expect(201);
    for (const path of [`/campaigns/${ids[0]}`, `/campaigns/${ids[0]}/messages`]) {
      const res = await request(t.baseUrl).get(path).set('X-API-Key', KEY_B).expect(404);
      expect(res.body.code).toBe('CAMPAIGN_NOT_FOUND');
    }
    for (const action of ['pause', 'resume', 'cancel'])
      expect((await control(ids[0], action, KEY_B).expect(404)).body.code).toBe(
        'CAMPAIGN_NOT_FOUND',
      );
    await get(`/campaigns/${ids[0]}`, ADMIN);
    const first = await get('/campaigns?limit=2');
    expect(first.body.items.map((c: { id: string }) => c.id)).toEqual([ids[2], ids[1]]);
    const second = await get(`/campaigns?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((c: { id: string }) => c.id)).toEqual([ids[0]]);
    expect(second.body.nextCursor).toBeNull();
    expect((await get('/campaigns', ADMIN)).body.items).toHaveLength(4);
    const scheduled = await get(`/campaigns/${ids[0]}`);
    expect(scheduled.body).toMatchObject({ status: 'scheduled', messages: { scheduled: 1 } });
  });

  it('GET /campaigns/{id}/messages pages the recipients in order, filtered by status', async () => {
    const recipients = Array.from({ length: 5 }, (_, i) => number(400 + i));
    const { body } = await post(
      campaign(recipients, { sendAt: new Date(Date.now() + 3600_000).toISOString() }),
    ).expect(201);
    const page1 = await get(`/campaigns/${body.campaignId}/messages?status=scheduled&limit=3`);
    const page2 = await get(
      `/campaigns/${body.campaignId}/messages?status=scheduled&limit=3&cursor=${page1.body.nextCursor}`,
    );
    expect(
      [...page1.body.items, ...page2.body.items].map((m: { recipient: string }) => m.recipient),
    ).toEqual(recipients);
    expect(page2.body.nextCursor).toBeNull();
    expect((await get(`/campaigns/${body.campaignId}/messages?status=sent`)).body.items).toEqual(
      [],
    );
  });

  it('a campaign message shows its campaignId on GET /messages/:id (a send has none); GET /messages takes no campaignId filter', async () => {
    const { body } = await post(
      campaign([number(450)], { sendAt: new Date(Date.now() + 3600_000).toISOString() }),
    ).expect(201);
    const [listed] = (await get(`/campaigns/${body.campaignId}/messages`)).body.items;
    const shown = await get(`/messages/${listed.id}`);
    expect(shown.body).toMatchObject({ campaignId: body.campaignId, recipient: number(450) });
    expect(listed.campaignId).toBe(body.campaignId);
    const send = await request(t.baseUrl)
      .post('/send-mms')
      .set('X-API-Key', KEY_A)
      .send({ destinationNumber: number(451), messageText: 'Hi', mediaUrl: MEDIA });
    expect(send.status).toBeLessThan(300);
    expect((await get(`/messages/${send.body.messageId}`)).body).not.toHaveProperty('campaignId');
    const filtered = await request(t.baseUrl)
      .get(`/messages?campaignId=${body.campaignId}`)
      .set('X-API-Key', KEY_A);
    expect(filtered.status).toBe(400);
    expect(filtered.body.code).toBe('VALIDATION_FAILED');
  });

  it('an Idempotency-Key replay answers the same campaign and creates no new messages', async () => {
    const body = campaign([number(500), number(501)], {
      sendAt: new Date(Date.now() + 3600_000).toISOString(),
    });
    const first = await post(body).set('Idempotency-Key', 'camp-1').expect(201);
    const again = await post(body).set('Idempotency-Key', 'camp-1').expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.campaignId).toBe(first.body.campaignId);
    expect(await campaigns().countDocuments()).toBe(1);
    expect(await logs().countDocuments({ campaignId: first.body.campaignId })).toBe(2);
  });

  it('the campaign queries use the {campaignId, …} indexes (no collection scan)', async () => {
    const { body } = await post(
      campaign([number(600), number(601)], {
        sendAt: new Date(Date.now() + 3600_000).toISOString(),
      }),
    ).expect(201);
    const campaignId = new Types.ObjectId(body.campaignId as string);
    const explainFind = (filter: object, sort: object = {}) =>
      logs()
        .collection.find(filter, { sort: sort as never })
        .explain();
    const plans = [
      await explainFind({ campaignId, status: 'scheduled' }, { _id: 1 }),
      await explainFind({ campaignId, status: 'scheduled', dispatchDueAt: { $exists: false } }),
      await explainFind({ campaignId, recipient: number(600) }),
      await logs()
        .collection.aggregate([
          { $match: { campaignId } },
          { $group: { _id: '$status', n: { $sum: 1 } } },
        ])
        .explain(),
    ].map((p) => JSON.stringify(p));
    for (const plan of plans) {
      expect(plan).not.toContain('COLLSCAN');
      expect(plan).toMatch(/campaignId_1_(status|recipient)_1/);
    }
  });
});
