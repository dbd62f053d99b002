import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import request from 'supertest';
import { PlivoSimulator } from '../../sandbox/plivo-simulator';
import { MessageLog } from '../../src/mms/message-log/message-log.schema';
import { DisposableDatabase } from '../support/disposable-database';
import { eventually } from '../support/eventually';
import {
  SpawnedService,
  testDatabaseUri,
  startProductionService,
} from '../support/spawned-service';
import { createTestApp, TestApp } from '../support/test-app';

const SEED = {
  destinationNumber: '+14157654321',
  messageText: 'Hello',
  mediaUrl: 'https://media.example.com/a.gif',
};

/** The message id a Plivo request was for (our ref in its callback URL). */
const refOf = (body: unknown) => /ref=([0-9a-f]{24})/.exec(JSON.stringify(body))?.[1];

/** How many Plivo requests each message id got. */
const requestsPerMessage = (plivo: PlivoSimulator) => {
  const counts = new Map<string, number>();
  for (const r of plivo.requests) {
    const id = refOf(r.body);
    if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
};

/**
 * The dispatch queue through the failures it must survive: a dispatcher killed with messages
 * claimed and one in Plivo's hands, and the database restarting under a backlog. Nothing is
 * sent twice; what was not handed over is sent after it.
 */
describe('dispatch queue faults (e2e)', () => {
  describe('a dispatcher killed (SIGKILL) holding claims and mid-call, then restarted', () => {
    const AUTH_ID = 'MADISPATCHKILL000000';
    const API_KEY = 'dispatch-kill-key-0123456789';
    let plivo: PlivoSimulator;
    let token: string;
    let uri: string;
    const services: SpawnedService[] = [];

    beforeAll(async () => {
      token = randomBytes(16).toString('hex');
      // Callbacks go to the killed process's port and are not retried.
      plivo = new PlivoSimulator({
        authId: AUTH_ID,
        authToken: token,
        callbackDelayMs: 20,
        callbackRetryDelaysMs: [],
      });
      await plivo.start();
      uri = testDatabaseUri('dispatch_kill');
    });
    afterAll(async () => {
      for (const s of services) s.kill();
      await plivo.stop();
    });

    const start = () =>
      startProductionService(
        {
          mongodbUri: uri,
          plivo: { baseUrl: plivo.baseUrl, authId: AUTH_ID, authToken: token },
          apiKeys: `shop:${API_KEY}`,
        },
        {
          // 1 MMS/s with a 1.5 s horizon: of three messages due together, the first goes at
          // once, the second is claimed and waits 1 s for its slot, the third (slot 2 s
          // away) goes back to the queue with its slot. A lease of 3 s outlasts that wait.
          PACING_ACCOUNT_MMS_PER_SECOND: '1',
          DISPATCH_POLL_MS: '1500',
          DISPATCH_LEASE_MS: '4000',
          // The hung call is not retried before the kill. The longest request is then
          // 3000 + 100 + 5000 ms: the reconciler takes a message pending that long as unknown.
          PLIVO_TIMEOUT_MS: '3000',
          PLIVO_SEND_DEADLINE_MS: '3000',
          MEDIA_PREFLIGHT_TIMEOUT_MS: '100',
          PENDING_RECONCILE_AFTER_MS: '8100',
          PENDING_RECONCILE_INTERVAL_MS: '500',
        },
        services,
      );

    it('each message is sent at most once: the claimed ones after the restart, the one in Plivo’s hands never again (pending, then unknown)', async () => {
      const first = await start();
      // Plivo creates the first message and never answers: the dispatcher is mid-call.
      plivo.failNext({ mode: 'accept-then-hang' });
      const created = await Promise.all(
        ['one', 'two', 'three'].map((text) =>
          request(first.baseUrl)
            .post('/send-mms')
            .set('X-API-Key', API_KEY)
            .send({ ...SEED, messageText: text, sendAt: new Date(Date.now() + 60_000) })
            .expect(202),
        ),
      );
      const ids = created.map((r) => r.body.messageId as string);
      const db = await mongoose.createConnection(uri).asPromise();
      try {
        const logs = db.model<MessageLog>(MessageLog.name, new mongoose.Schema({}), 'message_logs');
        // All three due now, as if their minute had passed: the next poll claims them together
        // (a sendAt a few hundred ms ahead would race a loaded machine's request handling).
        const now = new Date();
        await logs.collection.updateMany(
          { _id: { $in: ids.map((id) => new mongoose.Types.ObjectId(id)) } },
          { $set: { sendAt: now, dispatchDueAt: now } },
        );
        await plivo.waitFor((sim) => sim.requests.length === 1, 10_000);
        first.kill();
        await first.exited;

        const dispatching = refOf(plivo.requests[0].body)!;
        const atKill = await logs.find({ _id: { $in: ids } }).lean<Record<string, unknown>[]>();
        const state = (id: string) => atKill.find((d) => String(d._id) === id)!;
        // The one in Plivo's hands was handed over (pending, out of the queue) before the call.
        expect(state(dispatching)).toMatchObject({ status: 'pending' });
        expect(state(dispatching).dispatchDueAt).toBeUndefined();
        // The other two are still the gateway's: one held by the dead dispatcher's lease (waiting
        // for its slot), one back in the queue with the slot it reserved — or, when the kill came
        // late enough for that slot to fall within a poll, claimed again (keeping its slot).
        const others = ids.filter((id) => id !== dispatching).map(state);
        expect(others.map((d) => d.status)).toEqual(['scheduled', 'scheduled']);
        expect(others.filter((d) => d.dispatchLease !== undefined).length).toBeGreaterThanOrEqual(
          1,
        );
        expect(others.filter((d) => d.slotAt !== undefined).length).toBeGreaterThanOrEqual(1);

        await start();
        await eventually(
          async () => plivo.requests.length,
          (n) => n >= 3,
          'the two messages not handed over, sent after the restart',
          15_000,
        );
        // A little longer: nothing else goes out (the leases have long ended).
        await new Promise((r) => setTimeout(r, 1000));
        const counts = requestsPerMessage(plivo);
        expect(ids.map((id) => [id, counts.get(id)])).toEqual(ids.map((id) => [id, 1]));
        expect(plivo.requests).toHaveLength(3);
        // The gateway cannot know whether Plivo has it, so it never resends it: left pending
        // past the longest request, the reconciler makes it unknown (Plivo's callback, through
        // its ref, would settle it), and still no second request.
        const after = await eventually(
          () => logs.findById(dispatching).lean<Record<string, unknown>>(),
          (d) => d?.status === 'unknown',
          'the message left pending by the killed dispatcher to become unknown',
          20_000,
        );
        expect(after).toMatchObject({ errorCode: 'PLIVO_OUTCOME_UNKNOWN' });
        expect(plivo.requests).toHaveLength(3);
        // Paced across the restart too: the two sent after it are on slots 1 s apart (a slot
        // may be used up to half an interval late).
        const [x, y] = plivo.requests.slice(1).map((r) => r.at.getTime());
        expect(Math.abs(y - x)).toBeGreaterThanOrEqual(500);
      } finally {
        await db.close();
      }
    }, 60_000);
  });

  describe('the database restarting under a backlog', () => {
    const TOTAL = 20;
    let database: DisposableDatabase;
    let t: TestApp;

    beforeAll(async () => {
      database = new DisposableDatabase();
      const mongodbUri = await database.start();
      // Plivo's callbacks retried past the outage: a log whose `queued` could not be written
      // while the database was down is brought up to date by them.
      const simulator = { callbackRetryDelaysMs: [500, 1000, 2000] };
      t = await createTestApp(
        {
          MONGODB_URI: mongodbUri,
          MONGODB_SERVER_SELECTION_TIMEOUT_MS: '400',
          // 10 MMS/s and no waiting in the request: the burst is held and paced over 2 s.
          PACING_ACCOUNT_MMS_PER_SECOND: '10',
          PACING_MAX_WAIT_MS: '0',
          DISPATCH_POLL_MS: '50',
          DISPATCH_LEASE_MS: '1500',
        },
        simulator,
      );
    });
    afterAll(async () => {
      await t?.close();
      await database?.destroy();
    });

    it(`${TOTAL} held messages, the database down for a second mid-way: every one sent once after it`, async () => {
      const answers = await Promise.all(
        Array.from({ length: TOTAL }, (_, i) =>
          request(t.baseUrl)
            .post('/send-mms')
            .send({ ...SEED, messageText: `Backlog ${i}` }),
        ),
      );
      expect(answers.map((r) => r.status)).toEqual(Array(TOTAL).fill(202));
      const ids = answers.map((r) => r.body.messageId as string);
      await eventually(
        async () => t.plivo.requests.length,
        (n) => n >= 3,
        'the backlog to start going out',
        5000,
        10,
      );
      await database.stop();
      const sentBeforeRestart = t.plivo.requests.length;
      await new Promise((r) => setTimeout(r, 1000));
      expect(sentBeforeRestart).toBeLessThan(TOTAL);
      await database.start();

      await eventually(
        async () => t.plivo.requests.length,
        (n) => n >= TOTAL,
        'the whole backlog sent after the restart',
        15_000,
      );
      // A lease longer: nothing is sent twice.
      await new Promise((r) => setTimeout(r, 1600));
      const counts = requestsPerMessage(t.plivo);
      expect(ids.map((id) => [id, counts.get(id)])).toEqual(ids.map((id) => [id, 1]));
      expect(t.plivo.requests).toHaveLength(TOTAL);
      await eventually(
        () =>
          t.db
            .model<MessageLog>(MessageLog.name)
            .countDocuments({ status: { $in: ['scheduled', 'pending'] } }),
        (held) => held === 0,
        'every log past pending',
        6000,
      );
    }, 40_000);
  });
});
