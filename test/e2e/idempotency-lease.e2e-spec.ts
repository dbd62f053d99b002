/**
 * An Idempotency-Key whose request died does not block for a day: after its lease (the
 * longest a request can run) the key is settled from the message log, and never by a second
 * send of a message that may have reached Plivo.
 */
import { randomBytes } from 'node:crypto';
import mongoose, { Types } from 'mongoose';
import request from 'supertest';
import { PlivoSimulator } from '../../sandbox/plivo-simulator';
import { MessageLog } from '../../src/mms/message-log/message-log.schema';
import { hashBody } from '../../src/mms/send/idempotency/idempotency.interceptor';
import { IdempotencyRecord } from '../../src/mms/send/idempotency/idempotency-record.schema';
import { eventually } from '../support/eventually';
import {
  SpawnedService,
  testDatabaseUri,
  startProductionService,
} from '../support/spawned-service';
import { createTestApp, TEST_SENDER, TestApp } from '../support/test-app';

const BODY = {
  destinationNumber: '+14157654321',
  messageText: 'Your order shipped',
  mediaUrl: 'https://m.example.com/a.png',
};

describe('Idempotency-Key after a crash (e2e)', () => {
  describe('a spawned service killed (SIGKILL) while its send is in flight', () => {
    const AUTH_ID = 'MALEASETEST000000000';
    const API_KEY = 'lease-test-key-0123456789';
    let plivo: PlivoSimulator;
    let token: string;
    const services: SpawnedService[] = [];
    let uri: string;

    beforeAll(async () => {
      token = randomBytes(16).toString('hex');
      // Callbacks go to the killed process's port and are not retried: only the repeat
      // request, answered from the log, can tell the client what happened.
      plivo = new PlivoSimulator({
        authId: AUTH_ID,
        authToken: token,
        callbackDelayMs: 20,
        callbackRetryDelaysMs: [],
      });
      await plivo.start();
      uri = testDatabaseUri('lease');
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
          // The lease is this deadline + the preflight timeout + 5 s: 13.1 s, well past the
          // restart, so the first repeat certainly falls inside it.
          PLIVO_SEND_DEADLINE_MS: '8000',
          PLIVO_TIMEOUT_MS: '8000',
          MEDIA_PREFLIGHT_TIMEOUT_MS: '100',
        },
        services,
      );
    const post = (service: SpawnedService) =>
      request(service.baseUrl)
        .post('/send-mms')
        .set({ 'X-API-Key': API_KEY, 'Idempotency-Key': 'crash-1' })
        .send(BODY);

    it('answers 409 during the lease, then the log’s answer (504: poll), with one Plivo message in all', async () => {
      const first = await start();
      plivo.failNext({ mode: 'accept-then-hang' });
      const inFlight = post(first).then(
        () => undefined,
        () => undefined, // the connection dies with the process
      );
      await plivo.waitFor(() => plivo.sentMessages.length === 1, 10000);
      first.kill();
      await first.exited;
      await inFlight;

      const db = await mongoose.createConnection(uri).asPromise();
      try {
        // The killed request never answered: its key is still held, with its lease.
        const key = await db.collection('idempotency_keys').findOne({});
        expect(key).toMatchObject({ state: 'in-flight' });
        expect(key!.leaseUntil.getTime()).toBeGreaterThan(Date.now());

        const second = await start();
        const during = await post(second);
        expect(Date.now()).toBeLessThan(key!.leaseUntil.getTime());
        expect(during.status).toBe(409);
        expect(during.body.code).toBe('IDEMPOTENCY_IN_FLIGHT');

        await new Promise((r) =>
          setTimeout(r, Math.max(0, key!.leaseUntil.getTime() + 300 - Date.now())),
        );
        const after = await post(second).expect(504);
        expect(after.body.code).toBe('PLIVO_OUTCOME_UNKNOWN');
        await second.waitForOutput(/outlived its request; answered from the message log/);
        const logs = await db.collection('message_logs').find().toArray();
        expect(logs).toHaveLength(1);
        expect(after.body.messageId).toBe(logs[0]._id.toHexString());
        expect(key!.messageId).toBe(after.body.messageId);
        // The log never heard Plivo's answer: from now on it says Plivo may have the message.
        expect(logs[0].status).toBe('unknown');
        expect(logs[0].clientId).toBe('shop');

        const replay = await post(second).expect(504);
        expect(replay.headers['idempotent-replayed']).toBe('true');
        expect(replay.body.messageId).toBe(after.body.messageId);
        expect(plivo.sentMessages).toHaveLength(1);
      } finally {
        await db.close();
      }
    }, 90000);
  });

  describe('a lapsed key is settled from what the log proves', () => {
    let t: TestApp;
    const keys = () => t.db.model<IdempotencyRecord>(IdempotencyRecord.name);
    const logs = () => t.db.model<MessageLog>(MessageLog.name);

    beforeAll(async () => {
      t = await createTestApp();
    });
    beforeEach(async () => t.reset());
    afterAll(async () => t?.close());

    /** A key whose holder died `agoMs` ago, leaving `log` (if any) under the id it chose. */
    async function lapsedKey(log?: Partial<MessageLog>, leaseEndedMsAgo = 1000) {
      const messageId = new Types.ObjectId();
      const now = Date.now();
      await keys().collection.insertOne({
        _id: 'anonymous:k1' as unknown as Types.ObjectId,
        requestHash: hashBody(BODY),
        state: 'in-flight',
        holder: new Types.ObjectId().toHexString(),
        messageId: messageId.toHexString(),
        leaseUntil: new Date(now - leaseEndedMsAgo),
        createdAt: new Date(now - 30000),
        expiresAt: new Date(now + 3600_000),
      });
      if (log)
        await logs().collection.insertOne({
          _id: messageId,
          direction: 'outbound',
          clientId: 'anonymous',
          channel: 'mms',
          sender: TEST_SENDER,
          recipient: BODY.destinationNumber,
          text: BODY.messageText,
          mediaUrls: [BODY.mediaUrl],
          mediaIds: [],
          attempts: 0,
          statusHistory: [],
          createdAt: new Date(now - 30000),
          updatedAt: new Date(now - 30000),
          ...log,
        });
      return messageId.toHexString();
    }
    const post = () => request(t.baseUrl).post('/send-mms').set('Idempotency-Key', 'k1').send(BODY);

    it('Plivo accepted it (the log has its UUID): 202 as the first answer would have been, nothing resent', async () => {
      const id = await lapsedKey({
        status: 'delivered',
        statusRank: 4,
        plivoMessageUuid: '3a5c7b2e-1f7a-11ef-9b3b-0242ac110002',
        plivoApiId: 'api-1',
      } as Partial<MessageLog>);
      const res = await post().expect(202);
      expect(res.body).toMatchObject({
        messageId: id,
        status: 'queued',
        channel: 'mms',
        plivoResponse: { messageUuid: ['3a5c7b2e-1f7a-11ef-9b3b-0242ac110002'], apiId: 'api-1' },
      });
      expect(res.headers['idempotent-replayed']).toBe('true');
      await post().expect(202);
      expect(t.plivo.sentMessages).toHaveLength(0);
    });

    it('the log is pending (Plivo may have it): 504 "poll", nothing resent', async () => {
      const id = await lapsedKey({ status: 'pending', statusRank: 0 } as Partial<MessageLog>);
      const res = await post().expect(504);
      expect(res.body).toMatchObject({ code: 'PLIVO_OUTCOME_UNKNOWN', messageId: id });
      expect(t.plivo.sentMessages).toHaveLength(0);
      expect((await logs().findById(id).lean())?.status).toBe('unknown');
    });

    it('two retries racing after the lapse: one takes the key over, one Plivo message in all', async () => {
      const id = await lapsedKey(undefined);
      const answers = await Promise.all([post(), post()]);
      expect(answers.map((r) => r.status)).toContain(202);
      for (const r of answers) expect([202, 409]).toContain(r.status);
      expect(t.plivo.sentMessages).toHaveLength(1);
      // The retry sent under the id the dead holder chose: had it been alive, only one of the
      // two could have logged (and so sent) under it.
      expect(answers.find((r) => r.status === 202)!.body.messageId).toBe(id);
    });

    it('a key written before leases existed (no lease, no message id) is settled after a lease from its creation: 504, nothing sent', async () => {
      const now = Date.now();
      const old = (createdAgoMs: number) =>
        keys().collection.insertOne({
          _id: 'anonymous:k1' as unknown as Types.ObjectId,
          requestHash: hashBody(BODY),
          state: 'in-flight',
          createdAt: new Date(now - createdAgoMs),
          expiresAt: new Date(now + 3600_000),
        });
      await old(1000);
      await post().expect(409);
      await keys().deleteMany({});
      await old(60_000);
      const res = await post().expect(504);
      expect(res.body.code).toBe('PLIVO_OUTCOME_UNKNOWN');
      expect(t.plivo.sentMessages).toHaveLength(0);
    });

    it('no log under the chosen id (the process died before logging): a fresh attempt, one send', async () => {
      await lapsedKey(undefined);
      const res = await post().expect(202);
      expect(t.plivo.sentMessages).toHaveLength(1);
      await eventually(
        async () => (await keys().findById('anonymous:k1').lean())?.state,
        (state) => state === 'done',
        'the key to be completed',
      );
      const replay = await post().expect(202);
      expect(replay.body.messageId).toBe(res.body.messageId);
      expect(t.plivo.sentMessages).toHaveLength(1);
    });

    it('the log proves Plivo refused it before creating it (503 class): a fresh attempt', async () => {
      await lapsedKey({
        status: 'failed',
        statusRank: 4,
        errorCode: 'PLIVO_UNAVAILABLE',
      } as Partial<MessageLog>);
      await post().expect(202);
      expect(t.plivo.sentMessages).toHaveLength(1);
    });

    it('a "not sent" failure with an attempt Plivo answered 500 (logged before a 500 was ambiguous): 504, nothing resent', async () => {
      const id = await lapsedKey({
        status: 'failed',
        statusRank: 4,
        errorCode: 'PLIVO_UNAVAILABLE',
        attempts: 2,
        attemptLog: [
          {
            at: new Date(),
            outcome: 'unavailable',
            httpStatus: 500,
            error: 'Plivo is unavailable (500)',
          },
          {
            at: new Date(),
            outcome: 'unavailable',
            httpStatus: 503,
            error: 'Plivo is unavailable (503)',
          },
        ],
      } as Partial<MessageLog>);
      const res = await post().expect(504);
      expect(res.body).toMatchObject({ code: 'PLIVO_OUTCOME_UNKNOWN', messageId: id });
      expect(t.plivo.sentMessages).toHaveLength(0);
    });

    it('while the lease runs, the key is in flight: 409 with Retry-After', async () => {
      await lapsedKey({ status: 'pending', statusRank: 0 } as Partial<MessageLog>, -60_000);
      const res = await post().expect(409);
      expect(res.body.code).toBe('IDEMPOTENCY_IN_FLIGHT');
      expect(res.headers['retry-after']).toBe('1');
      expect(t.plivo.sentMessages).toHaveLength(0);
    });
  });
});
