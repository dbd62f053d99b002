import mongoose from 'mongoose';
import request from 'supertest';
import { StatusCallbacksService } from '../../src/mms/webhooks/status-callbacks.service';
import { PendingReconciler } from '../../src/mms/dispatch/pending-reconciler';
import { PLIVO_WEBHOOK_ROUTES } from '../../src/mms/plivo/webhook-routes';
import { postSigned } from '../support/plivo-signing';
import { createTestApp, TestApp } from '../support/test-app';
import { eventually } from '../support/eventually';
import { StatusReceiver } from '../../sandbox/plivo-simulator/status-receiver';
import { hashBody } from '../../src/mms/send/idempotency/idempotency.interceptor';
import { DispatchQueueRepository } from '../../src/mms/dispatch/dispatch-queue.repository';

const KEY = 'query-indexes-client-key-0123';
const CALLBACK_SECRET = 'query-indexes-callback-secret-0123456789';
const ADMIN_KEY = 'query-indexes-admin-key-0123';
/** A client with a pool of two numbers: its sends choose a sender (the sticky sender's reads). */
const DUO_KEY = 'query-indexes-duo-key-0123';
const DUO_POOL = ['+14155550201', '+14155550202'];

interface RecordedQuery {
  collection: string;
  method: string;
  filter: Record<string, unknown>;
  sort?: Record<string, unknown>;
}

const READS_AND_WRITES = new Set([
  'find',
  'findOne',
  'updateOne',
  'updateMany',
  'deleteOne',
  'deleteMany',
  'countDocuments',
  'findOneAndUpdate',
  'updateMany',
]);

/** Fields a query can seek on: equality or range at the top level, or present in every $or branch. */
function seekableFields(filter: Record<string, unknown>): Set<string> {
  const fields = new Set<string>();
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$or' && Array.isArray(value)) {
      const branches = value.map((b) => seekableFields(b as Record<string, unknown>));
      for (const f of branches[0] ?? []) if (branches.every((b) => b.has(f))) fields.add(f);
      continue;
    }
    if (key.startsWith('$')) continue;
    const ops =
      value &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      !(value instanceof Date) &&
      !(value instanceof mongoose.Types.ObjectId)
        ? Object.keys(value)
        : [];
    // $ne / $nin / $not cannot drive an index seek.
    if (ops.length > 0 && ops.every((op) => ['$ne', '$nin', '$not', '$exists'].includes(op)))
      continue;
    fields.add(key);
  }
  return fields;
}

/** One index access of a plan: its stage and the index's key fields, in order. */
interface IndexScan {
  stage: string;
  keys: string[];
}

/**
 * The index accesses of explain's winning plan, found by walking inputStage / inputStages from
 * queryPlanner.winningPlan (mongod ≥ 7 with the slot-based engine nests the tree in `queryPlan`).
 * IXSCAN carries keyPattern as an object; the stand-in's EXPRESS_IXSCAN as a string
 * (`"{ _id: 1 }"`); IDHACK (older mongod) has none and is the _id index.
 */
function indexScans(explain: Record<string, unknown>): IndexScan[] {
  const planner = explain.queryPlanner as { winningPlan?: unknown } | undefined;
  const scans: IndexScan[] = [];
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const stage = ((node as { queryPlan?: unknown }).queryPlan ?? node) as {
      stage?: string;
      keyPattern?: Record<string, unknown> | string;
      inputStage?: unknown;
      inputStages?: unknown[];
    };
    if (stage.stage === 'IDHACK') scans.push({ stage: stage.stage, keys: ['_id'] });
    else if (stage.stage && /IXSCAN/.test(stage.stage)) {
      const pattern = stage.keyPattern;
      const keys =
        typeof pattern === 'string'
          ? [...pattern.matchAll(/([\w.$]+)\s*:/g)].map((m) => m[1])
          : Object.keys(pattern ?? {});
      scans.push({ stage: stage.stage, keys });
    }
    walk(stage.inputStage);
    for (const input of stage.inputStages ?? []) walk(input);
  };
  walk(planner?.winningPlan);
  return scans;
}

/** An equality on _id (a lookup by id): the _id index is the one to use, scoped or not. */
const looksUpById = (filter: Record<string, unknown>): boolean =>
  filter._id !== undefined &&
  (typeof filter._id !== 'object' || filter._id instanceof mongoose.Types.ObjectId);

describe('every query the service runs is served by an index (e2e)', () => {
  let t: TestApp;
  const queries: RecordedQuery[] = [];
  const receiver = new StatusReceiver({ secrets: [CALLBACK_SECRET] });
  let receiverUrl: string;

  beforeAll(async () => {
    receiverUrl = await receiver.listen();
    t = await createTestApp({
      STATUS_CALLBACK_SECRET: CALLBACK_SECRET,
      STATUS_CALLBACK_ALLOWED_HOSTS: new URL(receiverUrl).host,
      STATUS_CALLBACK_POLL_MS: '50',
      STATUS_CALLBACK_RETRY_BASE_MS: '20',
      // One lane per host and per client: a claim made while a callback is under way skips its
      // host and its client ($nin).
      STATUS_CALLBACK_HOST_CONCURRENCY: '1',
      STATUS_CALLBACK_CLIENT_CONCURRENCY: '1',
      THROTTLE_LIMIT: '100000',
      API_KEYS: `team:${KEY},duo:${DUO_KEY}`,
      SENDER_NUMBERS: `duo:${DUO_POOL.join('|')}`,
      ADMIN_API_KEYS: `ops:${ADMIN_KEY}`,
      INBOUND_CLIENTS: '+14155550100:team',
      CAMPAIGN_MONITOR_INTERVAL_MS: '100',
      OPT_OUT_REPLY: 'Unsubscribed.',
      HELP_REPLY: 'Help.',
    });
    mongoose.set('debug', (collection: string, method: string, ...args: unknown[]) => {
      if (!READS_AND_WRITES.has(method)) return;
      const [filter, second, third] = args as [
        Record<string, unknown>,
        Record<string, unknown> | undefined,
        Record<string, unknown> | undefined,
      ];
      const options = method === 'find' || method === 'findOne' ? second : third;
      queries.push({
        collection,
        method,
        filter: filter ?? {},
        sort: (options?.sort as Record<string, unknown>) ?? undefined,
      });
    });
  });
  afterAll(async () => {
    mongoose.set('debug', false);
    await t?.close();
    await receiver.close();
  });

  it('drives every path (send, retries, failures, callbacks, orphans, inbound, reads, idempotency, sweeps, the pending reconciler), then checks each query and its plan', async () => {
    const body = {
      destinationNumber: '+14157654321',
      messageText: 'Hello',
      mediaUrl: 'https://m.example.com/a.gif',
    };
    const sent = await request(t.baseUrl)
      .post('/send-mms')
      .set({ 'X-API-Key': KEY, 'Idempotency-Key': 'k1' })
      .send(body)
      .expect(202);
    await request(t.baseUrl)
      .post('/send-mms')
      .set('X-API-Key', KEY)
      .set('Idempotency-Key', 'k1')
      .send(body)
      .expect(202);
    t.plivo.failNext({ status: 503 });
    await request(t.baseUrl).post('/send-mms').set('X-API-Key', KEY).send(body).expect(202);
    t.plivo.failNext({ status: 400 });
    await request(t.baseUrl)
      .post('/send-mms')
      .set('X-API-Key', KEY)
      .set('Idempotency-Key', 'k2')
      .send(body)
      .expect(400);
    t.plivo.failNext({ status: 503 }, 4);
    await request(t.baseUrl)
      .post('/send-mms')
      .set('X-API-Key', KEY)
      .set('Idempotency-Key', 'k3')
      .send(body)
      .expect(503);
    await t.plivo.waitFor((sim) => sim.callbacks.filter((c) => c.status === 200).length >= 6, 5000);
    await postSigned(
      t.baseUrl,
      PLIVO_WEBHOOK_ROUTES.status,
      { MessageUUID: 'orphan-1', Status: 'sent' },
      { token: t.authToken },
    ).expect(200);
    await postSigned(
      t.baseUrl,
      PLIVO_WEBHOOK_ROUTES.status,
      { MessageUUID: sent.body.plivoResponse.messageUuid[0], Status: 'sent', Sequence: '9' },
      { token: t.authToken },
    ).expect(200);
    // Two inbound messages for the client, so its inbound list has a second page too.
    for (const uuid of ['in-1', 'in-2'])
      await postSigned(
        t.baseUrl,
        PLIVO_WEBHOOK_ROUTES.inbound,
        { MessageUUID: uuid, From: '14157654321', To: '14155550100', Body: 'hi' },
        { token: t.authToken },
      ).expect(200);
    await t.app.get(StatusCallbacksService).sweepUnmatched();
    for (const key of [KEY, ADMIN_KEY])
      await request(t.baseUrl)
        .get(`/messages/${sent.body.messageId}`)
        .set('X-API-Key', key)
        .expect(200);
    // A key whose request died: settled from the log (a lookup by id), then taken over.
    await t.db.collection('idempotency_keys').insertOne({
      _id: 'team:lapsed' as never,
      requestHash: hashBody(body),
      state: 'in-flight',
      messageId: new mongoose.Types.ObjectId().toHexString(),
      leaseUntil: new Date(Date.now() - 1000),
      createdAt: new Date(),
      expiresAt: new Date(Date.now() + 60_000),
    });
    await request(t.baseUrl)
      .post('/send-mms')
      .set({ 'X-API-Key': KEY, 'Idempotency-Key': 'lapsed' })
      .send(body)
      .expect(202);
    // A message its request left pending (killed before Plivo answered), found by the
    // reconciler once older than the longest request, and made unknown.
    const stale = new Date(Date.now() - 3_600_000);
    await t.db.collection('message_logs').insertOne({
      _id: mongoose.Types.ObjectId.createFromTime(Math.floor(stale.getTime() / 1000)),
      direction: 'outbound',
      clientId: 'team',
      channel: 'mms',
      sender: '+14155550100',
      recipient: body.destinationNumber,
      mediaUrls: [body.mediaUrl],
      mediaIds: [],
      status: 'pending',
      statusRank: 0,
      statusHistory: [],
      createdAt: stale,
      updatedAt: stale,
    });
    expect(await t.app.get(PendingReconciler).reconcile()).toBe(1);
    expect(
      queries.some(
        (q) =>
          q.method === 'findOneAndUpdate' &&
          q.filter.status === 'pending' &&
          'updatedAt' in q.filter,
      ),
    ).toBe(true);
    // Opt-outs: STOP (the list, the reply window, the confirmation), a refused send, START,
    // HELP, a retried STOP, error 200 on a callback, and the admin API.
    const optOut = (uuid: string, text: string) =>
      postSigned(
        t.baseUrl,
        PLIVO_WEBHOOK_ROUTES.inbound,
        { MessageUUID: uuid, From: '14157650001', To: '14155550100', Text: text, Type: 'sms' },
        { token: t.authToken },
      ).expect(200);
    const repliesTo = () =>
      t.plivo.requests.filter(
        (r) => r.messageUuid && (r.body as { dst?: string }).dst === '+14157650001',
      );
    await optOut('kw-1', 'STOP');
    await optOut('kw-1', 'STOP');
    await request(t.baseUrl)
      .post('/send-mms')
      .set('X-API-Key', KEY)
      .send({ ...body, destinationNumber: '+14157650001' })
      .expect(422);
    await optOut('kw-2', 'START');
    await optOut('kw-3', 'HELP');
    await t.plivo.waitFor(() => repliesTo().length === 2, 5000); // the confirmation, the help
    await postSigned(
      t.baseUrl,
      PLIVO_WEBHOOK_ROUTES.status,
      {
        MessageUUID: sent.body.plivoResponse.messageUuid[0],
        Status: 'failed',
        Sequence: '10',
        ErrorCode: '200',
      },
      { token: t.authToken },
    ).expect(200);
    const pair = `/opt-outs/+14155550100/+14157650002`;
    await request(t.baseUrl)
      .put(pair)
      .set('X-API-Key', ADMIN_KEY)
      .send({ reason: 'e-mail' })
      .expect(200);
    await request(t.baseUrl).delete(pair).set('X-API-Key', ADMIN_KEY).expect(200);
    // A second sender for +14157650001: every filter but the pair then has two records or more.
    await request(t.baseUrl)
      .put('/opt-outs/+14155550199/+14157650001')
      .set('X-API-Key', ADMIN_KEY)
      .send({ reason: 'e-mail' })
      .expect(200);
    for (const query of [
      {},
      { number: '+14157650001' },
      { sender: '+14155550100' },
      { number: '+14157650001', sender: '+14155550100' },
    ]) {
      const first = await request(t.baseUrl)
        .get('/opt-outs')
        .set('X-API-Key', ADMIN_KEY)
        .query({ ...query, limit: 1 })
        .expect(200);
      // A (number, sender) pair is one record (unique): its cursor page runs on any valid cursor.
      const pairQuery = 'number' in query && 'sender' in query;
      expect([query, first.body.nextCursor]).toEqual([
        query,
        pairQuery ? null : expect.any(String),
      ]);
      const next = await request(t.baseUrl)
        .get('/opt-outs')
        .set('X-API-Key', ADMIN_KEY)
        .query({ ...query, limit: 1, cursor: first.body.nextCursor ?? 'f'.repeat(24) })
        .expect(200);
      expect(next.body.items).toHaveLength(1);
    }
    // Every list a client (scoped to its clientId) or an admin (everything) can ask for.
    for (const key of [KEY, ADMIN_KEY]) {
      for (const query of [
        {},
        { status: 'delivered' },
        { direction: 'inbound' },
        { recipient: '+14157654321' },
        { status: 'failed', recipient: '+14157654321' },
      ]) {
        const first = await request(t.baseUrl)
          .get('/messages')
          .set('X-API-Key', key)
          .query({ ...query, limit: 1 })
          .expect(200);
        // Seeded so every list has two messages or more: the cursor page always runs.
        expect([key === KEY ? 'client' : 'admin', query, first.body.nextCursor]).toEqual([
          key === KEY ? 'client' : 'admin',
          query,
          expect.any(String),
        ]);
        const next = await request(t.baseUrl)
          .get('/messages')
          .set('X-API-Key', key)
          .query({ ...query, limit: 1, cursor: first.body.nextCursor })
          .expect(200);
        expect(next.body.items).toHaveLength(1);
      }
    }

    // Status callbacks: claimed, retried once (a 503), then delivered, each event of the message.
    receiver.failNext(1, 503);
    receiver.delay(150);
    const withCallback = await request(t.baseUrl)
      .post('/send-mms')
      .set('X-API-Key', KEY)
      .send({
        ...body,
        destinationNumber: '+14157650123',
        statusCallbackUrl: `${receiverUrl}/status`,
      })
      .expect(202);
    await eventually(
      () =>
        request(t.baseUrl).get(`/messages/${withCallback.body.messageId}`).set('X-API-Key', KEY),
      (res) =>
        res.body.status === 'delivered' &&
        res.body.statusCallback.events.every((e: { state: string }) => e.state === 'delivered'),
      'every status callback event delivered',
    );
    expect(receiver.accepted().length).toBe(3);
    // Both claims (first tries, then retries), and the claim that skips a full host and client.
    for (const field of ['callbackDueAt', 'callbackRetryAt', 'callbackHost'])
      expect([field, queries.some((q) => field in q.filter)]).toEqual([field, true]);
    expect(
      queries.some(
        (q) =>
          'callbackDueAt' in q.filter &&
          'clientId' in q.filter &&
          '$nin' in (q.filter.clientId as object),
      ),
    ).toBe(true);

    // The dispatch queue: a message held 300 ms (claimed, handed over, sent), one canceled while
    // held, one left in the queue, and the backlog the metrics read (to a recipient the error 200
    // above has not opted out).
    const schedule = (sendInMs: number) =>
      request(t.baseUrl)
        .post('/send-mms')
        .set('X-API-Key', KEY)
        .send({
          ...body,
          destinationNumber: '+14157650321',
          sendAt: new Date(Date.now() + sendInMs).toISOString(),
        })
        .expect(202);
    const held = await schedule(300);
    const toCancel = await schedule(60_000);
    await schedule(60_000);
    await request(t.baseUrl)
      .post(`/messages/${toCancel.body.messageId}/cancel`)
      .set('X-API-Key', KEY)
      .expect(200);
    await eventually(
      () => request(t.baseUrl).get(`/messages/${held.body.messageId}`).set('X-API-Key', KEY),
      (res) => res.body.status !== 'scheduled' && res.body.status !== 'pending',
      'the held message sent',
    );
    const backlog = await t.app.get(DispatchQueueRepository).backlog();
    expect(backlog.bySender.get('+14155550100')).toBe(1);
    const dispatchQueries = queries.filter((q) => 'dispatchDueAt' in q.filter);
    // The claim (a range on the due time, the oldest first) and the backlog's first due.
    expect(dispatchQueries.map((q) => q.method)).toEqual(
      expect.arrayContaining(['findOneAndUpdate', 'findOne']),
    );
    // Every way out of the queue (hand-over, cancel) is conditional on `scheduled`.
    expect(
      queries.filter((q) => q.method === 'findOneAndUpdate' && q.filter.status === 'scheduled')
        .length,
    ).toBeGreaterThanOrEqual(2);
    // The backlog's count per sender is an aggregation (not recorded above): its $match too.
    const backlogPlan = JSON.stringify(
      await t.db
        .collection('message_logs')
        .aggregate([
          { $match: { dispatchDueAt: { $exists: true } } },
          { $group: { _id: '$sender', n: { $sum: 1 } } },
        ])
        .explain(),
    );
    expect([backlogPlan.includes('COLLSCAN'), /IXSCAN/.test(backlogPlan)]).toEqual([false, true]);

    // Sender pools: the sticky sender's two reads (this client's latest outbound message to the
    // recipient from the pool, the recipient's latest inbound one to the pool), after an inbound
    // message and after a send; GET /senders (its backlog is an aggregation, explained below).
    await postSigned(
      t.baseUrl,
      PLIVO_WEBHOOK_ROUTES.inbound,
      { MessageUUID: 'duo-in-1', From: '14157650400', To: DUO_POOL[1].slice(1), Body: 'hi' },
      { token: t.authToken },
    ).expect(200);
    for (let i = 0; i < 2; i++)
      await request(t.baseUrl)
        .post('/send-mms')
        .set('X-API-Key', DUO_KEY)
        .send({ ...body, destinationNumber: '+14157650400' })
        .expect(202);
    const sticky = queries.filter(
      (q) =>
        q.method === 'findOne' &&
        q.filter.sender !== undefined &&
        (q.filter.clientId === 'duo' || q.filter.direction === 'inbound'),
    );
    expect(sticky.map((q) => q.filter.direction ?? 'outbound')).toEqual([
      'outbound',
      'inbound',
      'outbound',
      'inbound',
    ]);
    // Each seeks on its conversation, never on every message of the pool's numbers: the outbound
    // read leads with clientId and the recipient, the inbound one with the recipient (`sender`).
    for (const q of sticky) {
      const scans = indexScans(
        await t.db
          .collection(q.collection)
          .find(q.filter, { sort: q.sort as never })
          .explain(),
      );
      const lead = q.filter.direction === 'inbound' ? ['sender'] : ['clientId', 'recipient'];
      expect([q.filter, scans.map((scan) => scan.keys.slice(0, lead.length))]).toEqual([
        q.filter,
        [lead],
      ]);
    }
    for (const key of [DUO_KEY, ADMIN_KEY])
      await request(t.baseUrl).get('/senders').set('X-API-Key', key).expect(200);
    const heldPlan = JSON.stringify(
      await t.db
        .collection('message_logs')
        .aggregate([
          { $match: { dispatchDueAt: { $exists: true }, sender: { $in: DUO_POOL } } },
          { $group: { _id: '$sender', n: { $sum: 1 } } },
        ])
        .explain(),
    );
    expect([heldPlan.includes('COLLSCAN'), /IXSCAN/.test(heldPlan)]).toEqual([false, true]);
    // A scheduled send's held backlog (countHeld) and the chooser's per candidate
    // (heldAheadBySender): a range of the partial dispatchDueAt index up to its sendAt.
    const at = new Date(Date.now() + 60_000);
    for (const match of [
      { dispatchDueAt: { $lte: at }, channel: 'mms' },
      { dispatchDueAt: { $lte: at }, channel: 'mms', sender: { $in: DUO_POOL } },
    ]) {
      const plan = JSON.stringify(
        await t.db
          .collection('message_logs')
          .aggregate([{ $match: match }, { $group: { _id: '$sender', n: { $sum: 1 } } }])
          .explain(),
      );
      expect([
        plan.includes('COLLSCAN'),
        /IXSCAN/.test(plan),
        plan.includes('dispatchDueAt'),
      ]).toEqual([false, true, true]);
    }

    // Campaigns: creation (the opt-out batches, the held messages made due in one update), the
    // monitor (its claim, progress, completion and event), pause/resume/cancel (one update over
    // the campaign's messages each), progress and the per-recipient pages, the lists.
    const campaignBody = (recipients: string[], extra: object = {}) => ({
      name: 'Query plans',
      messageText: 'Sale',
      mediaUrl: body.mediaUrl,
      recipients,
      ...extra,
    });
    const due = await request(t.baseUrl)
      .post('/campaigns')
      .set({ 'X-API-Key': KEY, 'Idempotency-Key': 'campaign-1' })
      .send(
        campaignBody(['+14157650600', '+14157650601'], {
          statusCallbackUrl: `${receiverUrl}/campaigns`,
        }),
      )
      .expect(201);
    const heldCampaign = await request(t.baseUrl)
      .post('/campaigns')
      .set('X-API-Key', KEY)
      .send(
        campaignBody(['+14157650602', '+14157650603', '+14157650604'], {
          sendAt: new Date(Date.now() + 3_600_000).toISOString(),
        }),
      )
      .expect(201);
    await eventually(
      () => request(t.baseUrl).get(`/campaigns/${due.body.campaignId}`).set('X-API-Key', KEY),
      (res) => res.body.status === 'completed',
      'the due campaign completed',
      15_000,
    );
    await eventually(
      async () =>
        receiver
          .accepted()
          .filter((r) => (r.body as { type?: string }).type === 'campaign.completed'),
      (events) => events.length === 1,
      'its campaign.completed event',
    );
    const heldId = heldCampaign.body.campaignId as string;
    for (const action of ['pause', 'resume', 'cancel'])
      await request(t.baseUrl)
        .post(`/campaigns/${heldId}/${action}`)
        .set('X-API-Key', KEY)
        .expect(200);
    for (const key of [KEY, ADMIN_KEY]) {
      await request(t.baseUrl).get(`/campaigns/${heldId}`).set('X-API-Key', key).expect(200);
      const first = await request(t.baseUrl)
        .get('/campaigns?limit=1')
        .set('X-API-Key', key)
        .expect(200);
      await request(t.baseUrl)
        .get(`/campaigns?limit=1&cursor=${first.body.nextCursor}`)
        .set('X-API-Key', key)
        .expect(200);
    }
    const page = await request(t.baseUrl)
      .get(`/campaigns/${heldId}/messages?status=canceled&limit=1`)
      .set('X-API-Key', KEY)
      .expect(200);
    await request(t.baseUrl)
      .get(`/campaigns/${heldId}/messages?status=canceled&limit=1&cursor=${page.body.nextCursor}`)
      .set('X-API-Key', KEY)
      .expect(200);
    // The campaign's messages as a whole: made due, held, canceled (updateMany each).
    const campaignId = new mongoose.Types.ObjectId(heldId);
    const campaignUpdates = queries.filter(
      (q) => q.method === 'updateMany' && String(q.filter.campaignId) === heldId,
    );
    expect(campaignUpdates.length).toBeGreaterThanOrEqual(4);
    // The two campaign indexes: the counts per status (an aggregation, not recorded above), and
    // a recipient of a campaign (what the unique index guards; the campaigns spec reads it too).
    const countsPlan = JSON.stringify(
      await t.db
        .collection('message_logs')
        .aggregate([{ $match: { campaignId } }, { $group: { _id: '$status', n: { $sum: 1 } } }])
        .explain(),
    );
    expect([
      countsPlan.includes('COLLSCAN'),
      /campaignId_1_status_1__id_1/.test(countsPlan),
    ]).toEqual([false, true]);
    const recipientPlan = await t.db
      .collection('message_logs')
      .find({ campaignId, recipient: '+14157650602' })
      .explain();
    expect(indexScans(recipientPlan).map((scan) => scan.keys)).toEqual([
      ['campaignId', 'recipient'],
    ]);

    const ours = queries.filter((q) => q.collection !== 'system.indexes');
    expect(new Set(ours.map((q) => q.collection))).toEqual(
      new Set([
        'message_logs',
        'unmatched_status_callbacks',
        'idempotency_keys',
        'opt_outs',
        'opt_out_reply_windows',
        // The campaign monitor's claim (monitorDueAt), on every replica even with no campaign.
        'campaigns',
        // A campaign that ends drops its pacing bucket (the channel's document, by _id).
        'pacing',
      ]),
    );
    expect(ours.length).toBeGreaterThan(30);
    // Both kinds of reads ran: scoped to one client, and an admin's over everything.
    expect(ours.some((q) => q.collection === 'message_logs' && q.filter.clientId === 'team')).toBe(
      true,
    );

    const indexesOf = new Map<string, string[][]>();
    for (const name of new Set(ours.map((q) => q.collection))) {
      const indexes = await t.db.collection(name).indexes();
      indexesOf.set(
        name,
        indexes.map((i) => Object.keys(i.key)),
      );
    }
    const unserved = ours.filter((q) => {
      const seek = seekableFields(q.filter);
      const sortFirst = q.sort ? Object.keys(q.sort)[0] : undefined;
      return !indexesOf
        .get(q.collection)!
        .some((keys) => seek.has(keys[0]) || (seek.size === 0 && sortFirst === keys[0]));
    });
    expect(unserved).toEqual([]);

    // The planner's own verdict on every query the service ran, reads and writes alike (a
    // write's filter is planned like a find): no COLLSCAN, on whatever server runs.
    expect(new Set(ours.map((q) => q.method))).toEqual(
      new Set(['find', 'findOne', 'findOneAndUpdate', 'updateOne', 'updateMany', 'deleteOne']),
    );
    // A client's list (and its cursor pages) must lead with clientId: an index without it would
    // scan every client's messages and filter them. Both pages of every filter ran above.
    // (A claim's `clientId: {$nin: …}` skips the clients at their cap: it scopes nothing.)
    const scoped = ours.filter(
      (q) => q.collection === 'message_logs' && typeof q.filter.clientId === 'string',
    );
    const scopedLists = scoped.filter((q) => !looksUpById(q.filter));
    expect(scopedLists.filter((q) => q.filter._id !== undefined).length).toBeGreaterThanOrEqual(5);
    expect(scopedLists.length).toBeGreaterThanOrEqual(10);
    expect(scoped.some((q) => looksUpById(q.filter))).toBe(true);
    for (const q of scoped) {
      const explain = await t.db
        .collection(q.collection)
        .find(q.filter, { sort: q.sort as never })
        .explain();
      const scans = indexScans(explain);
      // By id (GET /messages/:id): the unique _id index, then the clientId check on that one
      // document. Otherwise: every index the winning plan reads starts with clientId.
      const lead = looksUpById(q.filter) ? '_id' : 'clientId';
      expect([q.filter, scans.length > 0, scans.map((s) => s.keys[0])]).toEqual([
        q.filter,
        true,
        scans.map(() => lead),
      ]);
    }

    for (const q of ours) {
      const plan = JSON.stringify(
        await t.db
          .collection(q.collection)
          .find(q.filter, { sort: q.sort as never })
          .explain(),
      );
      expect([q.collection, q.method, q.filter, plan.includes('COLLSCAN')]).toEqual([
        q.collection,
        q.method,
        q.filter,
        false,
      ]);
      expect([q.collection, q.filter, /IXSCAN|IDHACK/.test(plan)]).toEqual([
        q.collection,
        q.filter,
        true,
      ]);
    }
  });
});
