/**
 * A message its request left `pending` (the process killed between logging and hearing Plivo)
 * does not stay pending forever: the reconciler makes it `unknown` (a status callback event),
 * never resends it, and Plivo's later callback (matched by `ref`) still settles it.
 */
import { randomBytes } from 'node:crypto';
import { ConfigService } from '@nestjs/config';
import mongoose, { Types } from 'mongoose';
import request from 'supertest';
import { PlivoSimulator } from '../../sandbox/plivo-simulator';
import { ReceivedCallback, StatusReceiver } from '../../sandbox/plivo-simulator/status-receiver';
import { PendingReconciler } from '../../src/mms/dispatch/pending-reconciler';
import { hashBody } from '../../src/mms/send/idempotency/idempotency.interceptor';
import { MessageLog } from '../../src/mms/message-log/message-log.schema';
import { PLIVO_WEBHOOK_ROUTES } from '../../src/mms/plivo/webhook-routes';
import { eventually } from '../support/eventually';
import { postSigned } from '../support/plivo-signing';
import {
  SpawnedService,
  testDatabaseUri,
  startProductionService,
} from '../support/spawned-service';
import { createTestApp, TEST_SENDER, TestApp } from '../support/test-app';

const SECRET = randomBytes(32).toString('hex');
const BODY = {
  destinationNumber: '+14157654321',
  messageText: 'Your order shipped',
  mediaUrl: 'https://m.example.com/a.png',
};

const bodyOf = (r: ReceivedCallback) =>
  r.body as { messageId: string; status: string; previousStatus: string; sequence: number };

describe('messages left pending by a stopped request (e2e)', () => {
  describe('a spawned service killed (SIGKILL) while Plivo holds its send', () => {
    const AUTH_ID = 'MAPENDINGKILL0000000';
    const API_KEY = 'pending-kill-key-0123456789';
    let plivo: PlivoSimulator;
    let token: string;
    const receiver = new StatusReceiver({ secrets: [SECRET] });
    const services: SpawnedService[] = [];
    let hookUrl: string;
    let uri: string;

    beforeAll(async () => {
      token = randomBytes(16).toString('hex');
      // Plivo's own callbacks would go to the killed process: none is sent during the test; the
      // test posts the one that settles the message itself, to the new process.
      plivo = new PlivoSimulator({
        authId: AUTH_ID,
        authToken: token,
        callbackDelayMs: 600_000,
        callbackRetryDelaysMs: [],
      });
      await plivo.start();
      hookUrl = `${await receiver.listen()}/hook`;
      uri = testDatabaseUri('pending_kill');
    });
    afterAll(async () => {
      for (const s of services) s.kill();
      await plivo.stop();
      await receiver.close();
    });

    const start = () =>
      startProductionService(
        {
          mongodbUri: uri,
          plivo: { baseUrl: plivo.baseUrl, authId: AUTH_ID, authToken: token },
          apiKeys: `shop:${API_KEY}`,
        },
        {
          // The longest request, and so the reconciler's threshold: 2000 + 100 + 5000 ms.
          PLIVO_SEND_DEADLINE_MS: '2000',
          PLIVO_TIMEOUT_MS: '2000',
          MEDIA_PREFLIGHT_TIMEOUT_MS: '100',
          PENDING_RECONCILE_INTERVAL_MS: '200',
          MEDIA_ALLOW_HTTP: 'true',
          STATUS_CALLBACK_SECRET: SECRET,
          STATUS_CALLBACK_ALLOWED_HOSTS: new URL(hookUrl).host,
          STATUS_CALLBACK_POLL_MS: '50',
          THROTTLE_LIMIT: '100000', // the test polls GET /messages/:id
        },
        services,
      );
    const getMessage = (service: SpawnedService, id: string) =>
      request(service.baseUrl).get(`/messages/${id}`).set('X-API-Key', API_KEY).expect(200);

    it('becomes unknown (an event to the client, GET shows it), is never resent, and Plivo’s later callback with ref still settles it', async () => {
      const first = await start();
      // Plivo creates the message but never answers: the request is in flight when it dies.
      plivo.failNext({ mode: 'accept-then-hang' });
      const inFlight = request(first.baseUrl)
        .post('/send-mms')
        .set('X-API-Key', API_KEY)
        .send({ ...BODY, statusCallbackUrl: hookUrl })
        .then(
          () => undefined,
          () => undefined, // the connection dies with the process
        );
      await plivo.waitFor(() => plivo.sentMessages.length === 1, 10000);
      first.kill();
      await first.exited;
      await inFlight;

      const db = await mongoose.createConnection(uri).asPromise();
      let messageId: string;
      try {
        // Killed between the log and Plivo's answer: pending, and nothing told the client.
        const logs = await db.collection('message_logs').find().toArray();
        expect(logs.map((l) => l.status)).toEqual(['pending']);
        messageId = logs[0]._id.toHexString();
      } finally {
        await db.close();
      }
      expect(receiver.received()).toHaveLength(0);

      const second = await start();
      const unknown = await eventually(
        async () => (await getMessage(second, messageId)).body,
        (m) => m.status === 'unknown',
        'the pending message to become unknown',
        20000,
        200,
      );
      expect(unknown.errorCode).toBe('PLIVO_OUTCOME_UNKNOWN');
      expect(unknown.plivoMessageUuid).toBeUndefined();
      expect(unknown.statusHistory.map((h: { status: string }) => h.status)).toEqual([
        'pending',
        'unknown',
      ]);
      // Not before the longest request had passed since it was logged.
      const loggedAt = new Date(unknown.createdAt).getTime();
      const unknownAt = new Date(unknown.statusHistory[1].at).getTime();
      expect(unknownAt - loggedAt).toBeGreaterThanOrEqual(7100);
      const events = await eventually(
        async () => receiver.accepted().filter((r) => bodyOf(r).messageId === messageId),
        (list) => list.length >= 1,
        'the unknown event at the client',
      );
      expect(events.map(bodyOf)).toMatchObject([
        { status: 'unknown', previousStatus: 'pending', sequence: 1 },
      ]);
      expect(events[0].signatureValid).toBe(true);
      await second.waitForOutput(/left pending by a request that stopped/);

      // Plivo had it: its signed callback, to the URL our send gave it (with ref), settles it.
      const sent = plivo.sentMessages[0];
      const ref = new URL((sent.body as { url: string }).url).searchParams.get('ref');
      expect(ref).toBe(messageId);
      await postSigned(
        second.baseUrl,
        `${PLIVO_WEBHOOK_ROUTES.status}?ref=${ref}`,
        {
          MessageUUID: sent.messageUuid!,
          Status: 'delivered',
          From: TEST_SENDER.slice(1),
          To: BODY.destinationNumber.slice(1),
          ErrorCode: '000',
          Sequence: '3',
        },
        { token },
      ).expect(200);
      const delivered = await eventually(
        async () => (await getMessage(second, messageId)).body,
        (m) => m.status === 'delivered',
        'the message delivered',
      );
      expect(delivered.statusHistory.map((h: { status: string }) => h.status)).toEqual([
        'pending',
        'unknown',
        'delivered',
      ]);
      const all = await eventually(
        async () => receiver.accepted().filter((r) => bodyOf(r).messageId === messageId),
        (list) => list.length >= 2,
        'the delivered event at the client',
      );
      expect(all.map(bodyOf)).toMatchObject([
        { status: 'unknown', previousStatus: 'pending', sequence: 1 },
        { status: 'delivered', previousStatus: 'unknown', sequence: 2 },
      ]);
      // Never resent: one request reached Plivo in all.
      expect(plivo.requests).toHaveLength(1);
    }, 90000);
  });

  describe('the reconciler against the log', () => {
    let t: TestApp;
    const logs = () => t.db.model<MessageLog>(MessageLog.name);
    const reconciler = () => t.app.get(PendingReconciler);
    // The default threshold, the longest request: 8000 + 3000 + 5000 ms in the test app.
    let AFTER_MS: number;

    beforeAll(async () => {
      t = await createTestApp();
      AFTER_MS = t.app.get(ConfigService).get('pendingReconciler').afterMs;
      expect(AFTER_MS).toBe(16_000);
    });
    beforeEach(async () => t.reset());
    afterAll(async () => t?.close());

    /** A message logged `agoMs` ago (its id from then too), in `status`. */
    async function logged(agoMs: number, status = 'pending', rank = 0) {
      const at = new Date(Date.now() - agoMs);
      // An id from that second (as the request's own would be), unique like any other.
      const second = Types.ObjectId.createFromTime(Math.floor(at.getTime() / 1000));
      const _id = new Types.ObjectId(
        second.toHexString().slice(0, 8) + new Types.ObjectId().toHexString().slice(8),
      );
      await logs().collection.insertOne({
        _id,
        direction: 'outbound',
        clientId: 'anonymous',
        channel: 'mms',
        sender: TEST_SENDER,
        recipient: BODY.destinationNumber,
        text: BODY.messageText,
        mediaUrls: [BODY.mediaUrl],
        mediaIds: [],
        status,
        statusRank: rank,
        attempts: 0,
        statusHistory: [{ status, at, source: 'api', applied: true }],
        statusCallbackUrl: 'https://hooks.example.com/mms',
        createdAt: at,
        updatedAt: at,
      });
      return _id;
    }

    it('settles only pending messages older than the threshold, each once, with one event, whoever races', async () => {
      const old = await logged(AFTER_MS + 5000);
      const older = await logged(AFTER_MS + 60_000);
      const young = await logged(AFTER_MS - 5000);
      const queued = await logged(AFTER_MS + 60_000, 'queued', 2);
      // Three replicas' passes at once: two messages settled in all.
      const counts = await Promise.all([1, 2, 3].map(() => reconciler().reconcile()));
      expect(counts.reduce((a, b) => a + b, 0)).toBe(2);
      expect(await reconciler().reconcile()).toBe(0);

      const byId = async (id: Types.ObjectId) => (await logs().findById(id).lean())!;
      for (const id of [old, older]) {
        const log = await byId(id);
        expect(log).toMatchObject({ status: 'unknown', errorCode: 'PLIVO_OUTCOME_UNKNOWN' });
        expect(log.statusHistory.map((h) => [h.status, h.applied])).toEqual([
          ['pending', true],
          ['unknown', true],
        ]);
        expect(log.callbackEvents!.map((e) => [e.status, e.previousStatus])).toEqual([
          ['unknown', 'pending'],
        ]);
      }
      expect((await byId(young)).status).toBe('pending');
      expect((await byId(queued)).statusHistory).toHaveLength(1);
      expect(t.plivo.requests).toHaveLength(0);
    });

    it('agrees with the lapsed-key resolver: a key whose message it settled answers 504, and nothing is written twice', async () => {
      const id = await logged(AFTER_MS + 5000);
      await t.db.collection('idempotency_keys').insertOne({
        _id: 'anonymous:k1' as never,
        requestHash: hashBody(BODY),
        state: 'in-flight',
        holder: new Types.ObjectId().toHexString(),
        messageId: id.toHexString(),
        leaseUntil: new Date(Date.now() - 1000),
        createdAt: new Date(Date.now() - AFTER_MS - 5000),
        expiresAt: new Date(Date.now() + 3600_000),
      });
      expect(await reconciler().reconcile()).toBe(1);
      const res = await request(t.baseUrl)
        .post('/send-mms')
        .set('Idempotency-Key', 'k1')
        .send(BODY)
        .expect(504);
      expect(res.body).toMatchObject({
        code: 'PLIVO_OUTCOME_UNKNOWN',
        messageId: id.toHexString(),
      });
      const log = (await logs().findById(id).lean())!;
      expect(log.statusHistory.map((h) => h.status)).toEqual(['pending', 'unknown']);
      expect(log.callbackEvents).toHaveLength(1);
      expect(t.plivo.requests).toHaveLength(0);
    });
  });
});
