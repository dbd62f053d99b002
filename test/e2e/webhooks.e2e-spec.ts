import request from 'supertest';
import { Types } from 'mongoose';
import { MessageLog } from '../../src/mms/message-log/message-log.schema';
import { StatusCallbacksService } from '../../src/mms/webhooks/status-callbacks.service';
import { UnmatchedCallback } from '../../src/mms/webhooks/unmatched-callback.schema';
import { PLIVO_WEBHOOK_ROUTES } from '../../src/mms/plivo/webhook-routes';
import { DisposableDatabase } from '../support/disposable-database';
import { nonce, postSigned, signatureHeaders } from '../support/plivo-signing';
import { createTestApp, TestApp } from '../support/test-app';
import { eventually } from '../support/eventually';

const STATUS = PLIVO_WEBHOOK_ROUTES.status;
const INBOUND = PLIVO_WEBHOOK_ROUTES.inbound;
const SEED = {
  destinationNumber: '+14157654321',
  messageText: 'Hello',
  mediaUrl: 'https://m.example.com/a.gif',
};

describe('Plivo webhooks (e2e: real app, real database, simulator callbacks)', () => {
  let t: TestApp;
  const logs = () => t.db.model<MessageLog>(MessageLog.name);
  const unmatched = () => t.db.model<UnmatchedCallback>(UnmatchedCallback.name);
  const signed = (
    path: string,
    params: Record<string, string>,
    options: Partial<Parameters<typeof postSigned>[3]> = {},
  ) => postSigned(t.baseUrl, path, params, { token: t.authToken, ...options });

  /** An outbound message as the send path leaves it: queued with Plivo's UUID. */
  async function queuedMessage(uuid = new Types.ObjectId().toHexString() + '-uuid') {
    const doc = await logs().create({
      direction: 'outbound',
      channel: 'mms',
      sender: '+14155550100',
      recipient: '+14157654321',
      text: 'hi',
      mediaUrls: ['https://m.example.com/a.png'],
      status: 'queued',
      statusRank: 2,
      plivoMessageUuid: uuid,
      statusHistory: [
        { status: 'queued', at: new Date(), source: 'plivo-response', applied: true },
      ],
    });
    return { id: doc._id.toHexString(), uuid };
  }

  const callback = (
    uuid: string,
    Status: string,
    Sequence: string,
    extra: Record<string, string> = {},
  ) => ({
    MessageUUID: uuid,
    ParentMessageUUID: uuid,
    Status,
    Sequence,
    To: '14157654321',
    From: '14155550100',
    Type: 'mms',
    Units: '1',
    TotalRate: '0.02000',
    TotalAmount: '0.02000',
    MCC: '310',
    MNC: '004',
    ...extra,
  });

  beforeAll(async () => {
    t = await createTestApp({
      PLIVO_WEBHOOK_AUTH_TOKENS: 'rotated-token-1, rotated-token-2',
      UNMATCHED_CALLBACK_SWEEP_MS: '100',
    });
  });
  beforeEach(async () => t.reset());
  afterAll(async () => t?.close());

  describe('signature guard', () => {
    it('a valid V3 callback updates the log, with billing and carrier details', async () => {
      const m = await queuedMessage();
      const res = await signed(
        STATUS,
        callback(m.uuid, 'delivered', '3', { DeliveryReportTime: '2026-11-27 10:00:01.000000' }),
      ).expect(200);
      expect(res.body).toEqual({ result: 'applied' });
      const log = await logs().findById(m.id).lean();
      expect(log!.status).toBe('delivered');
      expect(log!.delivery).toMatchObject({
        Units: '1',
        TotalAmount: '0.02000',
        TotalRate: '0.02000',
        MCC: '310',
        MNC: '004',
        DeliveryReportTime: '2026-11-27 10:00:01.000000',
      });
      expect(log!.statusHistory.at(-1)).toMatchObject({
        status: 'delivered',
        source: 'plivo-callback',
        applied: true,
      });
    });

    it('accepts a JSON body and the rotation tokens', async () => {
      const m = await queuedMessage();
      await signed(STATUS, callback(m.uuid, 'sent', '2'), { json: true }).expect(200);
      await signed(STATUS, callback(m.uuid, 'delivered', '3'), { token: 'rotated-token-2' }).expect(
        200,
      );
      expect((await logs().findById(m.id).lean())!.status).toBe('delivered');
    });

    it('a header with two signatures, one valid, is accepted', async () => {
      const m = await queuedMessage();
      const params = callback(m.uuid, 'sent', '2');
      const n = nonce();
      const sign = (token: string) =>
        signatureHeaders({ url: t.baseUrl + STATUS, params, token, nonce: n })[
          'X-Plivo-Signature-V3'
        ];
      await request(t.baseUrl)
        .post(STATUS)
        .type('form')
        .set({
          'X-Plivo-Signature-V3': `${sign('someone-else')},${sign(t.authToken)}`,
          'X-Plivo-Signature-V3-Nonce': n,
        })
        .send(params)
        .expect(200);
      expect((await logs().findById(m.id).lean())!.status).toBe('sent');
    });

    describe('forgeries are 403 JSON and change nothing', () => {
      const forgeries: [string, (uuid: string) => request.Test][] = [
        [
          'no signature headers',
          (uuid) =>
            request(t.baseUrl)
              .post(STATUS)
              .type('form')
              .send(callback(uuid, 'failed', '9')),
        ],
        [
          'signed with another token',
          (uuid) => signed(STATUS, callback(uuid, 'failed', '9'), { token: 'attacker-token' }),
        ],
        [
          'signed for another URL',
          (uuid) =>
            signed(STATUS, callback(uuid, 'failed', '9'), {
              signedUrl: 'https://attacker.example.com' + STATUS,
            }),
        ],
        [
          'a tampered parameter',
          (uuid) => {
            const params = callback(uuid, 'delivered', '9');
            return request(t.baseUrl)
              .post(STATUS)
              .type('form')
              .set(signatureHeaders({ url: t.baseUrl + STATUS, params, token: t.authToken }))
              .send({ ...params, Status: 'failed' });
          },
        ],
        [
          'garbage headers',
          (uuid) =>
            request(t.baseUrl)
              .post(STATUS)
              .type('form')
              .set({ 'X-Plivo-Signature-V3': '%%%not-base64,,,', 'X-Plivo-Signature-V3-Nonce': '' })
              .send(callback(uuid, 'failed', '9')),
        ],
        [
          'a V2 signature while V2 is off',
          (uuid) => signed(STATUS, callback(uuid, 'failed', '9'), { v2: true }),
        ],
        [
          'a ref swapped into the query',
          (uuid) =>
            signed(
              `${STATUS}?ref=${new Types.ObjectId().toHexString()}`,
              callback(uuid, 'failed', '9'),
              { signedUrl: t.baseUrl + STATUS },
            ),
        ],
      ];
      it.each(forgeries)('%s', async (_name, forge) => {
        const m = await queuedMessage();
        const before = await logs().findById(m.id).lean();
        const res = await forge(m.uuid).expect(403);
        expect(res.body).toMatchObject({
          statusCode: 403,
          error: 'Forbidden',
          code: 'INVALID_SIGNATURE',
          requestId: expect.any(String),
        });
        expect(await logs().findById(m.id).lean()).toEqual(before);
        expect(await unmatched().countDocuments()).toBe(0);
      });

      it('a forged inbound message is refused and nothing is stored', async () => {
        await request(t.baseUrl)
          .post(INBOUND)
          .type('form')
          .send({
            MessageUUID: 'x-1',
            From: '14157654321',
            To: '14155550100',
            Type: 'mms',
            Body: 'fake',
          })
          .expect(403);
        expect(await logs().countDocuments()).toBe(0);
      });
    });

    it('validates against PUBLIC_BASE_URL whatever Host and X-Forwarded-* say', async () => {
      const m = await queuedMessage();
      const spoofed = {
        Host: 'evil.example.com',
        'X-Forwarded-Proto': 'https',
        'X-Forwarded-Host': 'evil.example.com',
      };
      await signed(STATUS, callback(m.uuid, 'sent', '2'), { headers: spoofed }).expect(200);
      // …and a signature over the URL those headers describe is worthless.
      await signed(STATUS, callback(m.uuid, 'delivered', '3'), {
        headers: spoofed,
        signedUrl: 'https://evil.example.com' + STATUS,
      }).expect(403);
      expect((await logs().findById(m.id).lean())!.status).toBe('sent');
    });

    it('unknown extra fields are accepted (Plivo adds fields over time); missing Status is a 400', async () => {
      const m = await queuedMessage();
      await signed(
        STATUS,
        callback(m.uuid, 'sent', '2', { BrandNewField: 'x', Conversation_ID: 'y' }),
      ).expect(200);
      await signed(STATUS, { MessageUUID: m.uuid }).expect(400);
    });
  });

  describe('state machine', () => {
    it('out of order: delivered then a late sent leaves delivered, with sent recorded as not applied', async () => {
      const m = await queuedMessage();
      await signed(STATUS, callback(m.uuid, 'delivered', '3')).expect(200);
      const late = await signed(STATUS, callback(m.uuid, 'sent', '2')).expect(200);
      expect(late.body.result).toBe('recorded');
      const log = await logs().findById(m.id).lean();
      expect(log!.status).toBe('delivered');
      expect(log!.statusHistory.slice(1).map((h) => [h.status, h.applied])).toEqual([
        ['delivered', true],
        ['sent', false],
      ]);
    });

    it('terminal states stay terminal: failed after delivered does not change it', async () => {
      const m = await queuedMessage();
      await signed(STATUS, callback(m.uuid, 'delivered', '3')).expect(200);
      await signed(STATUS, callback(m.uuid, 'undelivered', '4', { ErrorCode: '80' })).expect(200);
      const log = await logs().findById(m.id).lean();
      expect(log!.status).toBe('delivered');
      expect(log!.errorCode).toBeUndefined();
    });

    it('a duplicate callback is answered 200 and applied once', async () => {
      const m = await queuedMessage();
      await signed(STATUS, callback(m.uuid, 'sent', '2')).expect(200);
      const again = await signed(STATUS, callback(m.uuid, 'sent', '2')).expect(200);
      expect(again.body.result).toBe('duplicate');
      const log = await logs().findById(m.id).lean();
      expect(log!.statusHistory.filter((h) => h.status === 'sent')).toHaveLength(1);
    });

    it('20 concurrent callbacks for one message leave one consistent result (10 rounds, by UUID and by ref)', async () => {
      for (let round = 0; round < 10; round++) {
        const m = await queuedMessage();
        const path = round % 2 === 0 ? STATUS : `${STATUS}?ref=${m.id}`;
        const events = [
          callback(m.uuid, 'sent', '2'),
          callback(m.uuid, 'delivered', '3'),
          callback(m.uuid, 'queued', '1'),
        ];
        const burst = Array.from({ length: 20 }, (_, i) => events[i % events.length]);
        const answers = await Promise.all(burst.map((params) => signed(path, params)));
        expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
        const log = await logs().findById(m.id).lean();
        const fromCallbacks = log!.statusHistory.filter((h) => h.source === 'plivo-callback');
        expect([round, log!.status]).toEqual([round, 'delivered']);
        expect([round, fromCallbacks.map((h) => h.status).sort()]).toEqual([
          round,
          ['delivered', 'queued', 'sent'],
        ]);
        expect(fromCallbacks.filter((h) => h.applied).map((h) => h.status)).toContain('delivered');
      }
    });

    it('a failed callback stores the error code with its meaning', async () => {
      const m = await queuedMessage();
      await signed(STATUS, callback(m.uuid, 'failed', '3', { ErrorCode: '120' })).expect(200);
      const log = await logs().findById(m.id).lean();
      expect(log).toMatchObject({
        status: 'failed',
        errorCode: '120',
        errorMessage: 'MMS message payload size exceeded',
      });
    });
  });

  describe('nothing lost', () => {
    it('an unknown MessageUUID is acknowledged and kept', async () => {
      const res = await signed(
        STATUS,
        callback('11111111-2222-3333-4444-555555555555', 'delivered', '3'),
      ).expect(200);
      expect(res.body.result).toBe('stored-unmatched');
      const kept = await unmatched().find().lean();
      expect(kept).toHaveLength(1);
      expect(JSON.parse(kept[0].paramsJson)).toMatchObject({
        MessageUUID: '11111111-2222-3333-4444-555555555555',
        Status: 'delivered',
      });
      await signed(
        STATUS,
        callback('11111111-2222-3333-4444-555555555555', 'delivered', '3'),
      ).expect(200);
      expect(await unmatched().countDocuments()).toBe(1);
    });

    it('old orphans never starve a fresh one, one past its retry window is not retried, and a TTL index drops them after a week', async () => {
      const old = Array.from({ length: 120 }, (_, i) => ({
        eventKey: `old-${i}|sent|`,
        messageUuid: `old-${i}`,
        paramsJson: JSON.stringify({ MessageUUID: `old-${i}`, Status: 'sent' }),
        receivedAt: new Date(Date.now() - 60 * 60 * 1000),
      }));
      const ancient = {
        eventKey: 'ancient|sent|',
        messageUuid: 'ancient',
        paramsJson: '{"MessageUUID":"ancient","Status":"sent"}',
        // Past the 15-minute retry window, inside the week the TTL index keeps it.
        receivedAt: new Date(Date.now() - 6 * 24 * 3600 * 1000),
      };
      await unmatched().collection.insertMany([...old, ancient]);
      const uuid = '12121212-3434-5656-7878-909090909090';
      await signed(STATUS, callback(uuid, 'delivered', '3')).expect(200);
      const m = await queuedMessage(uuid);
      await eventually(
        () => logs().findById(m.id).lean(),
        (l) => l?.status === 'delivered',
        'the fresh orphan to be applied',
      );
      await t.app.get(StatusCallbacksService).sweepUnmatched();
      const kept = await unmatched().findOne({ messageUuid: 'ancient' }).lean();
      expect(kept).not.toBeNull();
      expect(kept!.sweeps ?? 0).toBe(0); // inserted raw above, so no default: never swept
      expect(await unmatched().countDocuments({ messageUuid: /^old-/ })).toBe(120);
      // Deletion is MongoDB's TTL monitor's job (database-conformance proves the server does it).
      const ttl = (await unmatched().collection.indexes()).find((i) => i.key.receivedAt === 1);
      expect(ttl?.expireAfterSeconds).toBe(7 * 24 * 60 * 60);
    });

    it('a callback that arrives before its UUID was stored is applied once the message appears', async () => {
      const uuid = '99999999-8888-7777-6666-555555555555';
      await signed(STATUS, callback(uuid, 'delivered', '3')).expect(200);
      const m = await queuedMessage(uuid);
      const log = await eventually(
        () => logs().findById(m.id).lean(),
        (l) => l?.status === 'delivered',
        'the sweeper to apply the callback',
      );
      expect(log!.statusHistory.at(-1)).toMatchObject({
        status: 'delivered',
        source: 'plivo-callback',
      });
      await eventually(
        () => unmatched().countDocuments(),
        (n) => n === 0,
        'the orphan to be removed',
      );
    });

    it('a callback carrying ref finds its log even before the send stored the UUID', async () => {
      const doc = await logs().create({
        direction: 'outbound',
        channel: 'mms',
        sender: '+14155550100',
        recipient: '+14157654321',
        text: 'hi',
        status: 'pending',
        statusRank: 0,
      });
      await signed(
        `${STATUS}?ref=${doc._id.toHexString()}`,
        callback('aaaaaaaa-0000-0000-0000-000000000001', 'sent', '2'),
      ).expect(200);
      expect((await logs().findById(doc._id).lean())!.status).toBe('sent');
    });
  });

  describe('inbound messages', () => {
    const inbound = (
      uuid: string,
      media: string[],
      start = 0,
      extra: Record<string, string> = {},
    ) => ({
      MessageUUID: uuid,
      From: '14157654321',
      To: '14155550100',
      Type: 'mms',
      Body: `inbound with ${media.length} media`,
      MediaCount: String(media.length),
      Units: '1',
      ...Object.fromEntries(media.map((url, i) => [`Media${i + start}`, url])),
      ...extra,
    });

    it.each([0, 1, 3])(
      'stores an inbound MMS with %i media, in order, and answers 200 with an empty body',
      async (count) => {
        const media = Array.from(
          { length: count },
          (_, i) => `https://media.plivo.example/${i}.jpg`,
        );
        const res = await signed(INBOUND, inbound(`in-${count}`, media)).expect(200);
        expect(res.text).toBe('');
        const list = await request(t.baseUrl)
          .get('/messages')
          .query({ direction: 'inbound' })
          .expect(200);
        expect(list.body.items).toHaveLength(1);
        expect(list.body.items[0]).toMatchObject({
          direction: 'inbound',
          sender: '+14157654321',
          recipient: '+14155550100',
          text: `inbound with ${count} media`,
          mediaUrls: media,
          status: 'received',
          plivoMessageUuid: `in-${count}`,
        });
      },
    );

    it('reads Media1… numbering, orders Media10 after Media2, takes SMS text from Text, and accepts JSON', async () => {
      const media = Array.from(
        { length: 10 },
        (_, i) => `https://media.plivo.example/${i + 1}.jpg`,
      );
      await signed(INBOUND, inbound('in-ten', media, 1), { json: true }).expect(200);
      await signed(INBOUND, {
        MessageUUID: 'in-sms',
        From: '14157654321',
        To: '14155550100',
        Type: 'sms',
        Text: 'plain sms',
      }).expect(200);
      const ten = await logs().findOne({ plivoMessageUuid: 'in-ten' }).lean();
      expect(ten!.mediaUrls).toEqual(media);
      const sms = await logs().findOne({ plivoMessageUuid: 'in-sms' }).lean();
      expect(sms).toMatchObject({ channel: 'sms', text: 'plain sms', mediaUrls: [] });
    });

    it('a retried inbound webhook is stored once', async () => {
      await signed(INBOUND, inbound('in-dup', ['https://m.example/1.jpg'])).expect(200);
      await signed(INBOUND, inbound('in-dup', ['https://m.example/1.jpg'])).expect(200);
      expect(await logs().countDocuments({ plivoMessageUuid: 'in-dup' })).toBe(1);
    });
  });

  describe('end to end through the simulator’s own signed callbacks', () => {
    it('a send reaches delivered', async () => {
      const sent = await request(t.baseUrl).post('/send-mms').send(SEED).expect(202);
      const log = await eventually(
        () =>
          request(t.baseUrl)
            .get(`/messages/${sent.body.messageId}`)
            .then((r) => r.body),
        (b) => b.status === 'delivered',
        'delivered',
      );
      expect(
        log.statusHistory
          .filter((h: { source: string }) => h.source === 'plivo-callback')
          .map((h: { status: string }) => h.status),
      ).toEqual(['queued', 'sent', 'delivered']);
      expect(t.plivo.callbacks.every((c) => c.status === 200)).toBe(true);
    });

    it('a destination ending in 0000 ends failed with Plivo’s error code', async () => {
      const sent = await request(t.baseUrl)
        .post('/send-mms')
        .send({ ...SEED, destinationNumber: '+14155550000' })
        .expect(202);
      const log = await eventually(
        () => logs().findById(sent.body.messageId).lean(),
        (l) => l?.status === 'failed',
        'failed',
      );
      expect(log).toMatchObject({ errorCode: '50', errorMessage: 'Invalid destination number' });
    });
  });
});

describe('Plivo webhooks with V2 allowed', () => {
  it('accepts a valid V2 signature only when PLIVO_WEBHOOK_ALLOW_V2=true', async () => {
    const t = await createTestApp({ PLIVO_WEBHOOK_ALLOW_V2: 'true' });
    try {
      const uuid = 'v2-uuid-1';
      await t.db.model<MessageLog>(MessageLog.name).create({
        direction: 'outbound',
        channel: 'mms',
        sender: '+14155550100',
        recipient: '+14157654321',
        status: 'queued',
        statusRank: 2,
        plivoMessageUuid: uuid,
      });
      await postSigned(
        t.baseUrl,
        STATUS,
        { MessageUUID: uuid, Status: 'sent' },
        { token: t.authToken, v2: true },
      ).expect(200);
      await postSigned(
        t.baseUrl,
        STATUS,
        { MessageUUID: uuid, Status: 'delivered' },
        { token: 'wrong', v2: true },
      ).expect(403);
      const log = await t.db
        .model<MessageLog>(MessageLog.name)
        .findOne({ plivoMessageUuid: uuid })
        .lean();
      expect(log!.status).toBe('sent');
    } finally {
      await t.close();
    }
  });
});

describe('Plivo webhooks with the database down', () => {
  it('answers 503 (so Plivo retries), and applies the retry once the database is back', async () => {
    const database = new DisposableDatabase();
    const uri = await database.start();
    const t = await createTestApp({ MONGODB_URI: uri, MONGODB_SERVER_SELECTION_TIMEOUT_MS: '500' });
    try {
      const model = t.db.model<MessageLog>(MessageLog.name);
      const m = await model.create({
        direction: 'outbound',
        channel: 'mms',
        sender: '+14155550100',
        recipient: '+14157654321',
        status: 'queued',
        statusRank: 2,
        plivoMessageUuid: 'down-uuid',
      });
      await database.stop();
      const params = { MessageUUID: 'down-uuid', Status: 'delivered', Sequence: '3' };
      const down = await postSigned(t.baseUrl, STATUS, params, { token: t.authToken });
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({ statusCode: 503, code: 'DATABASE_UNAVAILABLE' });
      await database.start();
      await eventually(
        () => postSigned(t.baseUrl, STATUS, params, { token: t.authToken }).then((r) => r.status),
        (s) => s === 200,
        'the database to come back',
        20000,
      );
      expect((await model.findById(m._id).lean())!.status).toBe('delivered');
    } finally {
      await t.close();
      await database.destroy();
    }
  });
});
