/**
 * Campaigns (issue #22) through the failures they must survive, from POST /campaigns on: the
 * process killed (SIGKILL) in the middle of writing a campaign's messages, then the same request
 * retried with its Idempotency-Key on the restarted service; and two replicas on one database
 * sharing the control calls. One message per recipient, each sent once, one completion event.
 */
import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import request from 'supertest';
import { PlivoSimulator } from '../../sandbox/plivo-simulator';
import { StatusReceiver } from '../../sandbox/plivo-simulator/status-receiver';
import { INSERT_CHUNK } from '../../src/mms/message-log/campaign-messages.repository';
import { recipients } from '../support/campaigns';
import { eventually } from '../support/eventually';
import {
  SpawnedService,
  startProductionService,
  testDatabaseUri,
} from '../support/spawned-service';
import { createTestApp, TestApp } from '../support/test-app';
import { WireGate } from '../support/wire-gate';

const MEDIA = 'https://media.example.com/sale.gif';
const dstOf = (body: unknown) => (body as { dst?: string }).dst;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How many Plivo requests each destination got. */
const perRecipient = (sent: { body: unknown }[]) => {
  const counts = new Map<string, number>();
  for (const r of sent) counts.set(dstOf(r.body)!, (counts.get(dstOf(r.body)!) ?? 0) + 1);
  return counts;
};

describe('campaign creation killed (SIGKILL) mid-way, retried with its Idempotency-Key (e2e)', () => {
  const AUTH_ID = 'MACAMPAIGNKILL000000';
  const API_KEY = 'campaign-kill-key-0123456789';
  /**
   * Two insertMany chunks (INSERT_CHUNK, then 50): the kill lands once the first is written. Not
   * more: every one is then sent, and the stand-in database's claim reads every due message (a
   * drain of thousands takes minutes there; README, Performance).
   */
  const COUNT = INSERT_CHUNK + 50;
  let plivo: PlivoSimulator;
  let token: string;
  let uri: string;
  let gate: WireGate;
  const services: SpawnedService[] = [];

  beforeAll(async () => {
    token = randomBytes(16).toString('hex');
    plivo = new PlivoSimulator({
      authId: AUTH_ID,
      authToken: token,
      callbackDelayMs: 20,
      callbackRetryDelaysMs: [],
    });
    await plivo.start();
    uri = testDatabaseUri('campaign_kill');
    const server = new URL(uri);
    gate = new WireGate({ host: server.hostname, port: Number(server.port) });
  });
  afterAll(async () => {
    for (const s of services) s.kill();
    await gate.close();
    await plivo.stop();
  });

  const start = (mongodbUri = uri) =>
    startProductionService(
      {
        mongodbUri,
        plivo: { baseUrl: plivo.baseUrl, authId: AUTH_ID, authToken: token },
        apiKeys: `shop:${API_KEY}`,
      },
      {
        DISPATCH_POLL_MS: '50',
        CAMPAIGN_MONITOR_INTERVAL_MS: '200',
        // The Idempotency-Key's lease is the longest request: PLIVO_SEND_DEADLINE_MS +
        // MEDIA_PREFLIGHT_TIMEOUT_MS + 5 s = 6.1 s here, so the retry waits that long at most.
        PLIVO_TIMEOUT_MS: '1000',
        PLIVO_SEND_DEADLINE_MS: '1000',
        MEDIA_PREFLIGHT_TIMEOUT_MS: '100',
      },
      services,
    );

  it(`${COUNT} recipients: killed with some messages written, the retry (409 while the dead request's lease lasts) completes the same campaign: one message per recipient, each sent once`, async () => {
    const to = recipients(COUNT);
    const body = {
      name: 'Killed sale',
      messageText: 'Spring sale: 20% off',
      mediaUrl: MEDIA,
      recipients: to,
    };
    const post = (service: SpawnedService) =>
      request(service.baseUrl)
        .post('/campaigns')
        .set({ 'X-API-Key': API_KEY, 'Idempotency-Key': 'killed-sale-1' })
        .send(body);

    // The first service reaches the database through the gate: its first insert of campaign
    // messages goes through, anything of message_logs after it (the second chunk, the update
    // making them due) waits there, and the process is killed while it waits.
    const first = await start(
      `${await gate.listen()}${new URL(uri).pathname}?directConnection=true`,
    );
    let firstChunkSent = false;
    gate.hold = (message) => {
      if (!message.includes('message_logs\0')) return false;
      if (firstChunkSent) return true;
      // An insert (a string "insert" element) of documents with a campaignId.
      firstChunkSent = message.includes('\x02insert\0') && message.includes('campaignId\0');
      return false;
    };
    const db = await mongoose.createConnection(uri).asPromise();
    try {
      const logs = db.collection('message_logs');
      const campaigns = db.collection('campaigns');
      // The answer never comes: the process dies under it.
      const dying = post(first).then(
        (res) => res.status,
        () => 'no answer',
      );
      await eventually(
        () => logs.countDocuments({ campaignId: { $exists: true } }),
        (n) => n >= INSERT_CHUNK,
        'the first chunk of the campaign messages written',
        20_000,
      );
      first.kill();
      await first.exited;
      expect(await dying).toBe('no answer');

      // Killed mid-way: the campaign `creating`, some of its messages written, none due.
      const atKill = await campaigns.find().toArray();
      expect(atKill.map((c) => c.status)).toEqual(['creating']);
      const campaignId = atKill[0]._id;
      const written = await logs.countDocuments({ campaignId });
      expect(written).toBe(INSERT_CHUNK);
      expect(await logs.countDocuments({ dispatchDueAt: { $exists: true } })).toBe(0);

      const second = await start(uri);
      const refused: request.Response[] = [];
      const retried = await eventually(
        async () => {
          const res = await post(second);
          if (res.status === 409) refused.push(res);
          return res;
        },
        (res) => res.status !== 409,
        "the retry, once the dead request's lease has lapsed",
        20_000,
        250,
      );
      for (const res of refused) {
        expect(res.body.code).toBe('IDEMPOTENCY_IN_FLIGHT');
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      }
      expect(retried.status).toBe(201);
      expect(retried.body).toMatchObject({
        campaignId: campaignId.toHexString(),
        status: 'running',
        counts: { total: COUNT, duplicates: 0, optedOut: 0, invalid: 0, scheduled: COUNT },
      });
      // One message per recipient (the unique {campaignId, recipient} index kept the retry's
      // inserts of the recipients already written out), every one due.
      const perDoc = await logs
        .aggregate<{ _id: string; n: number }>([
          { $match: { campaignId } },
          { $group: { _id: '$recipient', n: { $sum: 1 } } },
          { $match: { n: { $gt: 1 } } },
        ])
        .toArray();
      expect(perDoc).toEqual([]);
      expect(await logs.countDocuments({ campaignId })).toBe(COUNT);
      expect(await campaigns.countDocuments()).toBe(1);

      await eventually(
        async () => plivo.sentMessages.length,
        (n) => n >= COUNT,
        'every recipient sent',
        60_000,
        200,
      );
      await eventually(
        () => campaigns.findOne({ _id: campaignId }),
        (c) => c?.status === 'completed',
        'the campaign completed',
        15_000,
      );
      const counts = perRecipient(plivo.sentMessages);
      expect(counts.size).toBe(COUNT);
      expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
      expect(to.filter((n) => !counts.has(n))).toEqual([]);
    } finally {
      await db.close();
    }
  }, 120_000);
});

describe('a campaign created and controlled through two replicas (e2e)', () => {
  const SECRET = randomBytes(32).toString('hex');
  const receiver = new StatusReceiver({ secrets: [SECRET] });
  let a: TestApp;
  let b: TestApp;
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await receiver.close();
  });

  it('POST /campaigns on one, pause/resume/progress split between both: every recipient sent once, one campaign.completed', async () => {
    const hookUrl = `${await receiver.listen()}/hooks/campaigns`;
    const env = {
      // 20 MMS/s across both (the pacing state is shared): 40 recipients take 2 s, time to pause.
      PACING_ACCOUNT_MMS_PER_SECOND: '20',
      DISPATCH_POLL_MS: '50',
      DISPATCH_LEASE_MS: '3000',
      CAMPAIGN_MONITOR_INTERVAL_MS: '100',
      STATUS_CALLBACK_POLL_MS: '50',
      STATUS_CALLBACK_RETRY_BASE_MS: '50',
      STATUS_CALLBACK_SECRET: SECRET,
      STATUS_CALLBACK_ALLOWED_HOSTS: new URL(hookUrl).host,
    };
    a = await createTestApp(env);
    b = await createTestApp(env, {}, { dbName: a.dbName });
    const sent = () => [...a.plivo.sentMessages, ...b.plivo.sentMessages];
    const completion = () =>
      receiver
        .received()
        .filter((r) => (r.body as { type?: string })?.type === 'campaign.completed');
    const control = (app: TestApp, id: string, action: string) =>
      request(app.baseUrl).post(`/campaigns/${id}/${action}`).expect(200);
    const progress = (app: TestApp, id: string) =>
      request(app.baseUrl).get(`/campaigns/${id}`).expect(200);

    const to = recipients(40, 100);
    const created = await request(a.baseUrl)
      .post('/campaigns')
      .send({
        name: 'Two replicas',
        messageText: 'Spring sale: 20% off',
        mediaUrl: MEDIA,
        recipients: to,
        statusCallbackUrl: hookUrl,
      })
      .expect(201);
    const id = created.body.campaignId as string;
    await eventually(
      async () => sent().length,
      (n) => n >= 5,
      'some sent',
    );
    expect((await control(b, id, 'pause')).body.status).toBe('paused');
    expect((await control(a, id, 'pause')).body.status).toBe('paused');
    const held = await eventually(
      async () => (await progress(a, id)).body,
      (c) => (c.messages.pending ?? 0) === 0,
      'in-flight settled',
    );
    expect(held.status).toBe('paused');
    const settled = sent().length;
    expect(settled).toBeLessThan(40);
    await pause(500);
    expect(sent()).toHaveLength(settled);
    expect((await progress(b, id)).body.messages.scheduled).toBe(40 - settled);

    expect((await control(a, id, 'resume')).body.status).toBe('running');
    expect((await control(b, id, 'resume')).body.status).toBe('running');
    await eventually(
      async () => {
        const c = (await progress(a, id)).body;
        return {
          events: completion().length,
          messages: c.messages,
          status: c.status,
          startedAt: c.startedAt,
        };
      },
      (now) => now.events >= 1,
      'the campaign.completed event',
      20_000,
      200,
    );
    // A little longer: neither replica's monitor sends a second one, nothing is sent twice.
    await pause(500);
    expect(completion()).toHaveLength(1);
    expect(completion()[0].signatureValid).toBe(true);
    expect(completion()[0].body).toMatchObject({ campaignId: id, counts: { delivered: 40 } });
    const counts = perRecipient(sent());
    expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
    expect([...counts.keys()].sort()).toEqual([...to].sort());
    // Both replicas dispatched some of them.
    expect([a.plivo.sentMessages.length, b.plivo.sentMessages.length]).not.toContain(0);
    const final = await progress(b, id);
    expect(final.body).toMatchObject({ status: 'completed', messages: { delivered: 40 } });

    // The metrics, summed over both replicas: 40 messages created (on A), and each status the
    // campaign entered counted once (the second pause and resume changed nothing).
    const scraped = await Promise.all(
      [a, b].map(async (app) => (await request(app.baseUrl).get('/metrics').expect(200)).text),
    );
    const total = (series: RegExp) =>
      scraped
        .flatMap((text) => text.split('\n').filter((line) => series.test(line)))
        .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
    expect(total(/^mms_campaign_messages_total\{outcome="created",/)).toBe(40);
    const transitions = Object.fromEntries(
      ['creating', 'running', 'paused', 'completed', 'canceled'].map((status) => [
        status,
        total(new RegExp(`^mms_campaign_transitions_total\\{status="${status}"\\}`)),
      ]),
    );
    // running: created due now, then resumed.
    expect(transitions).toEqual({ creating: 1, running: 2, paused: 1, completed: 1, canceled: 0 });
  }, 40_000);
});
