import request from 'supertest';
import { Types } from 'mongoose';
import { MessageLog } from '../../src/mms/message-log/message-log.schema';
import { FailurePlan } from '../../sandbox/plivo-simulator';
import { DisposableDatabase } from '../support/disposable-database';
import { eventually } from '../support/eventually';
import { createTestApp, TestApp } from '../support/test-app';

const TOTAL = 200;
const CONCURRENCY = 20;

/** A repeating mix of Plivo behaviours: mostly fine, with every failure class in between. */
function plivoScript(count: number): FailurePlan[] {
  const cycle: FailurePlan[] = [
    { delayMs: 5 },
    { status: 503 },
    { delayMs: 5 },
    { status: 429 },
    { delayMs: 5 },
    { mode: 'timeout' },
    { delayMs: 5 },
    { mode: 'reset' },
    { delayMs: 5 },
    { mode: 'accept-then-hang' },
    { status: 500, body: '<html>down</html>' },
    { delayMs: 5 },
  ];
  return Array.from({ length: count }, (_, i) => cycle[i % cycle.length]);
}

const refOf = (url: unknown) =>
  typeof url === 'string' ? new URL(url).searchParams.get('ref') : null;

describe('faults under concurrent load (e2e): nothing lost, nothing sent twice', () => {
  let database: DisposableDatabase;
  let t: TestApp;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    database = new DisposableDatabase();
    const uri = await database.start();
    t = await createTestApp(
      {
        THROTTLE_LIMIT: '100000',
        MONGODB_URI: uri,
        MONGODB_SERVER_SELECTION_TIMEOUT_MS: '400',
        PLIVO_TIMEOUT_MS: '400',
        PLIVO_MAX_RETRIES: '2',
        PLIVO_SEND_DEADLINE_MS: '4000',
        UNMATCHED_CALLBACK_SWEEP_MS: '200',
      },
      { callbackDelayMs: 20, callbackRetryDelaysMs: [300, 800, 1500] },
    );
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await t?.close();
    await database?.destroy();
  });

  it(`${TOTAL} sends, ${CONCURRENCY} at a time, through Plivo failures and a database restart`, async () => {
    for (const plan of plivoScript(TOTAL * 2)) t.plivo.failNext(plan);
    const answers: { status: number; body: Record<string, unknown>; dbDown: boolean }[] = [];
    let next = 0;
    let dbDown = false;
    let stopping: Promise<void> = Promise.resolve();
    let done = 0;

    const worker = async () => {
      while (next < TOTAL) {
        const i = next++;
        if (i === 80) {
          stopping = database.stop();
          await stopping;
          dbDown = true; // from here until the restart begins, the server is certainly gone
        }
        if (i === 130) {
          await stopping; // never start the server again before it has stopped
          dbDown = false;
          await database.start();
        }
        const downWhenSent = dbDown;
        const res = await request(t.baseUrl)
          .post('/send-mms')
          .send({
            destinationNumber: '+14157654321',
            messageText: `load ${i}`,
            mediaUrl: 'https://m.example.com/a.gif',
          });
        answers.push({ status: res.status, body: res.body, dbDown: downWhenSent && dbDown });
        done++;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(done).toBe(TOTAL);

    // Let in-flight callbacks and their retries settle, with the database back: wait until the
    // simulator has none scheduled or running (a retry schedules the next before it ends).
    await eventually(
      async () => t.plivo.pendingCallbacks,
      (pending) => pending === 0,
      'the simulator to deliver every status callback',
      30000,
    );
    const logs = await t.db.model<MessageLog>(MessageLog.name).find().lean();
    const byId = new Map(logs.map((l) => [l._id.toHexString(), l]));

    // Only honest answers: accepted, not sent (503), or outcome unknown (504). Never a 500.
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => ![202, 503, 504].includes(s))).toEqual([]);
    // Enough sends succeed around the outage for the invariants below to mean something (a
    // Plivo 500 is ambiguous, never retried: one fault in five of the cycle ends a send 504).
    expect(statuses.filter((s) => s === 202).length).toBeGreaterThan(TOTAL / 8);
    expect(statuses).toContain(503);
    expect(statuses).toContain(504);

    // Every 2xx has exactly one log, and at most one message created at Plivo.
    const createdByRef = new Map<string, number>();
    for (const sent of t.plivo.sentMessages) {
      const ref = refOf((sent.body as { url?: unknown }).url);
      if (ref) createdByRef.set(ref, (createdByRef.get(ref) ?? 0) + 1);
    }
    for (const a of answers.filter((x) => x.status === 202)) {
      const id = a.body.messageId as string;
      expect(byId.has(id)).toBe(true);
      expect(createdByRef.get(id)).toBe(1);
    }
    for (const [ref, count] of createdByRef) expect([ref, count]).toEqual([ref, 1]);

    // No request ever reached Plivo without a log written first.
    const requestRefs = t.plivo.requests.map((r) => refOf((r.body as { url?: unknown }).url));
    expect(requestRefs.filter((ref) => ref === null)).toEqual([]);
    for (const ref of requestRefs) expect(byId.has(ref!)).toBe(true);

    // A send made and answered while the database was down is a 503 DATABASE_UNAVAILABLE, and
    // a 503 for the database never came with a Plivo call: no log, no request with its id.
    const duringOutage = answers.filter((a) => a.dbDown);
    expect(duringOutage.length).toBeGreaterThan(0);
    expect(
      duringOutage.filter((a) => a.status !== 503 || a.body.code !== 'DATABASE_UNAVAILABLE'),
    ).toEqual([]);
    const dbRefusals = answers.filter((a) => a.body.code === 'DATABASE_UNAVAILABLE');
    expect(dbRefusals.length).toBeGreaterThan(0);
    for (const a of dbRefusals) expect(a.body.messageId).toBeUndefined();

    // Logs tell the truth about what Plivo has: a queued/sent/delivered log was created at Plivo.
    for (const log of logs) {
      const created = createdByRef.get(log._id.toHexString()) ?? 0;
      if (['queued', 'sent', 'delivered'].includes(log.status)) expect(created).toBe(1);
      if (log.status === 'failed') expect(created).toBe(0);
    }

    // No crash, no unhandled rejection, and the service works again.
    expect(unhandled).toEqual([]);
    await request(t.baseUrl).get('/health/ready').expect(200);
    t.plivo.reset(); // drop the failure script's leftovers: Plivo is healthy again too
    const after = await request(t.baseUrl)
      .post('/send-mms')
      .send({
        destinationNumber: '+14157654321',
        messageText: 'after',
        mediaUrl: 'https://m.example.com/a.gif',
      })
      .expect(202);
    expect(Types.ObjectId.isValid(after.body.messageId)).toBe(true);
  }, 120000);
});
