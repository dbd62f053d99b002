/**
 * Campaigns' delivery (issue #22): campaign messages written as creation writes them
 * (test/support/campaigns.ts), then the real dispatcher, pacer and campaign monitor, the Plivo
 * simulator through the real SDK, and a real HTTP receiver checking the completion event's
 * signature.
 */
import { randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import request from 'supertest';
import { StatusReceiver } from '../../sandbox/plivo-simulator/status-receiver';
import { Campaign } from '../../src/mms/campaigns/campaign.schema';
import { MessageLog } from '../../src/mms/message-log/message-log.schema';
import { PacingState } from '../../src/mms/pacing/pacing-state.schema';
import { recipients, seedCampaign } from '../support/campaigns';
import { eventually } from '../support/eventually';
import { createTestApp, TestApp } from '../support/test-app';

const SECRET = randomBytes(32).toString('hex');
const FAST = {
  DISPATCH_POLL_MS: '50',
  DISPATCH_LEASE_MS: '3000',
  CAMPAIGN_MONITOR_INTERVAL_MS: '100',
  STATUS_CALLBACK_POLL_MS: '50',
  STATUS_CALLBACK_RETRY_BASE_MS: '50',
  STATUS_CALLBACK_TIMEOUT_MS: '3000',
  STATUS_CALLBACK_SECRET: SECRET,
};

const dstOf = (body: unknown) => (body as { dst?: string }).dst;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** HH:MM:SS of `at` on the wall clock of `timeZone`. */
const wallTime = (at: Date, timeZone: string) =>
  new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hourCycle: 'h23',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).format(at);

describe('campaign dispatch (e2e)', () => {
  const receiver = new StatusReceiver({ secrets: [SECRET] });
  let hookUrl: string;
  let t: TestApp;
  const campaigns = () => t.db.model<Campaign>(Campaign.name).collection;
  const logs = () => t.db.model<MessageLog>(MessageLog.name).collection;
  const completionEvents = () =>
    receiver.received().filter((r) => (r.body as { type?: string })?.type === 'campaign.completed');

  beforeAll(async () => {
    hookUrl = `${await receiver.listen()}/hooks/campaigns`;
    t = await createTestApp({
      ...FAST,
      // The account's cap is far above the campaign's: what holds the campaign back is its own.
      PACING_ACCOUNT_MMS_PER_SECOND: '20',
      CAMPAIGN_CREATING_TIMEOUT_MS: '1000',
      STATUS_CALLBACK_ALLOWED_HOSTS: new URL(hookUrl).host,
    });
  });
  beforeEach(async () => {
    receiver.reset();
    await t.reset();
  });
  afterAll(async () => {
    await t?.close();
    await receiver.close();
  });

  it('a delivery window that opens in 3 s: nothing is sent before, every message after, due at the window start meanwhile', async () => {
    const zone = 'America/New_York';
    const opens = new Date(Math.ceil((Date.now() + 3000) / 1000) * 1000);
    const closes = new Date(opens.getTime() + 3600_000);
    const { messageIds } = await seedCampaign(t.db, {
      recipients: recipients(4),
      deliveryWindow: { start: wallTime(opens, zone), end: wallTime(closes, zone), timeZone: zone },
    });
    // Each claimed once, then put back due at the window's start.
    await eventually(
      () => logs().countDocuments({ _id: { $in: messageIds }, dispatchDueAt: opens }),
      (n) => n === 4,
      'the messages due at the window start',
    );
    expect(t.plivo.sentMessages).toHaveLength(0);
    const sent = await eventually(
      async () => t.plivo.sentMessages,
      (list) => list.length === 4,
      'the four sent once the window opened',
    );
    for (const r of sent) expect(r.at.getTime()).toBeGreaterThanOrEqual(opens.getTime());
    expect(sent.map((r) => dstOf(r.body)).sort()).toEqual(recipients(4));
  }, 30_000);

  it('maxPerSecond 2: its messages handed over 500 ms apart (≥ 250 ms with timer lag, ≥ 1.8 s for five), another client sending meanwhile is not held back, and the bucket goes when it completes', async () => {
    const { id } = await seedCampaign(t.db, { recipients: recipients(5), maxPerSecond: 2 });
    await eventually(
      async () => t.plivo.sentMessages.length,
      (n) => n >= 1,
      'the first sent',
    );
    const others = [];
    for (let i = 0; i < 3; i++) {
      const res = await request(t.baseUrl)
        .post('/send-mms')
        .send({
          destinationNumber: '+14157659999',
          messageText: `Other ${i}`,
          mediaUrl: 'https://m.example.com/a.gif',
        });
      others.push({ status: res.status, body: res.body });
    }
    for (const o of others) {
      expect(o.status).toBe(202);
      // Sent within its request: its slot is at most PACING_MAX_WAIT_MS away, not behind the
      // campaign's later ones.
      expect(o.body.status).toBe('queued');
    }
    await eventually(
      async () => t.plivo.sentMessages.filter((r) => dstOf(r.body) !== '+14157659999').length,
      (n) => n === 5,
      'the campaign sent',
      15_000,
    );
    // The gateway's own act, the hand-over (`pending`), is what the pacer times: slots 500 ms
    // apart. A hand-over is a timer firing at its slot, and on a loaded machine (2 cores, a
    // dozen busy processes) the event loop fires one up to ~200 ms late while the next is on
    // time; what Plivo sees adds each call's latency on top. Unpaced, they come ~0–50 ms apart
    // and all within ~200 ms.
    const handOvers = (await logs().find({ campaignId: id }).toArray())
      .map((d) =>
        (d.statusHistory as { status: string; at: Date }[])
          .find((h) => h.status === 'pending')!
          .at.getTime(),
      )
      .sort((x, y) => x - y);
    for (let i = 1; i < 5; i++) expect(handOvers[i] - handOvers[i - 1]).toBeGreaterThanOrEqual(250);
    expect(handOvers[4] - handOvers[0]).toBeGreaterThanOrEqual(1800);
    const field = `c${id.toHexString()}`;
    await eventually(
      () => campaigns().findOne({ _id: id }),
      (c) => c?.status === 'completed',
      'the campaign completed',
    );
    const pacing = await t.db.model<PacingState>(PacingState.name).collection.findOne({
      _id: 'mms' as never,
    });
    expect(pacing).not.toHaveProperty(field);
  }, 30_000);

  it('a paused campaign whose messages are still due (the pause stopped half-way): claims dropped, nothing sent', async () => {
    const { messageIds } = await seedCampaign(t.db, {
      recipients: recipients(3),
      status: 'paused',
    });
    await eventually(
      () =>
        logs().countDocuments({
          _id: { $in: messageIds },
          status: 'scheduled',
          dispatchDueAt: { $exists: false },
          dispatchLease: { $exists: false },
        }),
      (n) => n === 3,
      'the three out of the queue, still scheduled',
    );
    await pause(300);
    expect(t.plivo.sentMessages).toHaveLength(0);
  });

  it('a resume soon after a dispatcher saw the campaign paused: every message is still sent (none left held with no due time)', async () => {
    // A pause whose write stopped half-way (the dispatcher must hold it): the dispatcher claims
    // each, reads the campaign `paused` (cached for up to CAMPAIGN_STATE_TTL_MS), drops it.
    const { id, messageIds } = await seedCampaign(t.db, {
      recipients: recipients(3),
      status: 'paused',
    });
    await eventually(
      () =>
        logs().countDocuments({
          _id: { $in: messageIds },
          status: 'scheduled',
          dispatchDueAt: { $exists: false },
        }),
      (n) => n === 3,
      'the three dropped from the queue',
    );
    // The client resumes right away (well within a second).
    const resumed = await request(t.baseUrl).post(`/campaigns/${id.toHexString()}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.body.status).toBe('running');
    const sent = await eventually(
      async () => t.plivo.sentMessages,
      (list) => list.length === 3,
      'the three sent after the resume',
      8000,
    );
    expect(sent.map((r) => dstOf(r.body)).sort()).toEqual(recipients(3));
  }, 20_000);

  it('a resume takes the claims a dispatcher took while paused (sent now, not when that lease ends); a resume again leaves live claims alone', async () => {
    const leased = (ids: Types.ObjectId[]) =>
      logs().updateMany(
        { _id: { $in: ids } },
        {
          $set: {
            dispatchDueAt: new Date(Date.now() + 60_000),
            dispatchLease: 'a-dispatcher',
            slotAt: new Date(),
          },
        },
      );
    const paused = await seedCampaign(t.db, {
      recipients: recipients(3),
      status: 'paused',
      due: false,
    });
    await leased(paused.messageIds);
    const resumed = await request(t.baseUrl).post(`/campaigns/${paused.id.toHexString()}/resume`);
    expect(resumed.body.status).toBe('running');
    const sent = await eventually(
      async () => t.plivo.sentMessages,
      (list) => list.length === 3,
      'the three sent after the resume',
      5000,
    );
    expect(sent.map((r) => dstOf(r.body)).sort()).toEqual(recipients(3));

    const running = await seedCampaign(t.db, { recipients: recipients(2, 10), due: false });
    await leased(running.messageIds);
    const again = await request(t.baseUrl).post(`/campaigns/${running.id.toHexString()}/resume`);
    expect(again.status).toBe(200);
    expect(
      await logs().countDocuments({
        _id: { $in: running.messageIds },
        dispatchLease: 'a-dispatcher',
        slotAt: { $exists: true },
        dispatchDueAt: { $gt: new Date(Date.now() + 30_000) },
      }),
    ).toBe(2);
  }, 20_000);

  it('a running campaign whose held messages lost their due time (a pause and a resume that crossed): the monitor makes them due, each sent once', async () => {
    const { id, messageIds } = await seedCampaign(t.db, {
      recipients: recipients(3),
      due: false,
    });
    const sent = await eventually(
      async () => t.plivo.sentMessages,
      (list) => list.length === 3,
      'the three sent',
      5000,
    );
    expect(sent.map((r) => dstOf(r.body)).sort()).toEqual(recipients(3));
    await eventually(
      () => campaigns().findOne({ _id: id }),
      (c) => c?.status === 'completed',
      'the campaign completed',
    );
    expect(await logs().countDocuments({ _id: { $in: messageIds }, attempts: 1 })).toBe(3);
  }, 20_000);

  it('validUntil passing while paused: the held messages become expired (docs/dispatch.md "Expiry") and the campaign completes', async () => {
    const validUntil = new Date(Date.now() + 1500);
    const { id, messageIds } = await seedCampaign(t.db, {
      recipients: recipients(3),
      status: 'paused',
      due: false,
      validUntil,
    });
    await eventually(
      () => logs().countDocuments({ _id: { $in: messageIds }, status: 'expired' }),
      (n) => n === 3,
      'the three expired after their validUntil',
      8000,
      200,
    );
    await eventually(
      () => campaigns().findOne({ _id: id }),
      (c) => c?.status === 'completed',
      'the campaign completed',
    );
    expect(t.plivo.sentMessages).toHaveLength(0);
  }, 20_000);

  it('a canceled campaign whose messages are still due: each canceled, nothing sent, the campaign finished', async () => {
    const { id, messageIds } = await seedCampaign(t.db, {
      recipients: recipients(3),
      status: 'canceled',
    });
    await eventually(
      () => logs().countDocuments({ _id: { $in: messageIds }, status: 'canceled' }),
      (n) => n === 3,
      'the three canceled',
    );
    await eventually(
      () => campaigns().findOne({ _id: id }),
      (c) => c?.finishedAt instanceof Date && c.monitorDueAt === undefined,
      'the campaign finished',
    );
    expect(t.plivo.sentMessages).toHaveLength(0);
  });

  it('completion: one signed campaign.completed event at its statusCallbackUrl, retried after a 500', async () => {
    receiver.failNext(1, 500);
    const { id } = await seedCampaign(t.db, {
      recipients: recipients(3),
      statusCallbackUrl: hookUrl,
    });
    const events = await eventually(
      async () => completionEvents(),
      (list) => list.length === 2 && list.every((r) => r.answered !== 'timeout'),
      'the event, failed once then delivered',
    );
    expect(events.map((r) => r.answered)).toEqual([500, 200]);
    for (const r of events) expect(r.signatureValid).toBe(true);
    expect(events[1].eventId).toBe(events[0].eventId);
    expect(events[1].rawBody).toBe(events[0].rawBody);
    const body = events[1].body as Record<string, unknown>;
    expect(body).toMatchObject({
      id: events[0].eventId,
      type: 'campaign.completed',
      campaignId: id.toHexString(),
      name: 'Spring sale',
      counts: { delivered: 3 },
    });
    const campaign = await campaigns().findOne({ _id: id });
    expect(campaign).toMatchObject({
      status: 'completed',
      completionEvent: { state: 'delivered', attempts: 2 },
    });
    expect(body.finishedAt).toBe((campaign!.finishedAt as Date).toISOString());
    expect(campaign!.startedAt.getTime()).toBeLessThanOrEqual(campaign!.finishedAt.getTime());
    expect(campaign!.monitorDueAt).toBeUndefined();
    await pause(400);
    expect(completionEvents()).toHaveLength(2);
  }, 20_000);

  it('a campaign still creating after CAMPAIGN_CREATING_TIMEOUT_MS is canceled with its messages; a younger one is left alone', async () => {
    const old = await seedCampaign(t.db, {
      recipients: recipients(3),
      status: 'creating',
      due: false,
      createdAt: new Date(Date.now() - 5000),
    });
    const young = await seedCampaign(t.db, {
      recipients: recipients(2, 10),
      status: 'creating',
      due: false,
    });
    await eventually(
      () => logs().countDocuments({ _id: { $in: old.messageIds }, status: 'canceled' }),
      (n) => n === 3,
      'the old creation canceled',
    );
    expect(await campaigns().findOne({ _id: old.id })).toMatchObject({ status: 'canceled' });
    expect(await campaigns().findOne({ _id: young.id })).toMatchObject({ status: 'creating' });
    expect(
      await logs().countDocuments({ _id: { $in: young.messageIds }, status: 'scheduled' }),
    ).toBe(2);
  });
  it('a campaign still creating after the timeout whose messages were made due (its request died after that): finished as scheduled and sent, not canceled', async () => {
    const sendAt = new Date(Date.now() + 1500);
    const { id, messageIds } = await seedCampaign(t.db, {
      recipients: recipients(3),
      status: 'creating',
      sendAt,
      createdAt: new Date(Date.now() - 5000),
    });
    // Its one update making them due stopped before the last.
    await logs().updateOne({ _id: messageIds[2] }, { $unset: { dispatchDueAt: '' } });
    await eventually(
      () => campaigns().findOne({ _id: id }),
      (c) => c?.status === 'scheduled',
      'the creation finished as the request would have',
    );
    expect(await logs().countDocuments({ _id: { $in: messageIds }, dispatchDueAt: sendAt })).toBe(
      3,
    );
    const sent = await eventually(
      async () => t.plivo.sentMessages,
      (list) => list.length === 3,
      'the three sent at sendAt',
      5000,
    );
    expect(sent.map((r) => dstOf(r.body)).sort()).toEqual(recipients(3));
    await eventually(
      () => campaigns().findOne({ _id: id }),
      (c) => c?.status === 'completed',
      'the campaign completed',
    );
  }, 20_000);
});

describe('campaign dispatch across replicas (e2e)', () => {
  const receiver = new StatusReceiver({ secrets: [SECRET] });
  let a: TestApp;
  let b: TestApp;
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await receiver.close();
  });

  it('two replicas: every recipient sent once, one completion event', async () => {
    const hookUrl = `${await receiver.listen()}/hooks/campaigns`;
    const env = { ...FAST, STATUS_CALLBACK_ALLOWED_HOSTS: new URL(hookUrl).host };
    a = await createTestApp(env);
    b = await createTestApp(env, {}, { dbName: a.dbName });
    const to = recipients(30);
    const { id } = await seedCampaign(a.db, { recipients: to, statusCallbackUrl: hookUrl });
    const sent = () => [...a.plivo.sentMessages, ...b.plivo.sentMessages];
    const completion = () =>
      receiver
        .received()
        .filter((r) => (r.body as { type?: string })?.type === 'campaign.completed');
    await eventually(
      async () => completion(),
      (list) => list.length >= 1,
      'the event',
      20_000,
    );
    await pause(500);
    expect(
      sent()
        .map((r) => dstOf(r.body))
        .sort(),
    ).toEqual(to.sort());
    expect(completion()).toHaveLength(1);
    expect(completion()[0].signatureValid).toBe(true);
    expect(completion()[0].body).toMatchObject({
      campaignId: id.toHexString(),
      counts: { delivered: 30 },
    });
  }, 40_000);
});
