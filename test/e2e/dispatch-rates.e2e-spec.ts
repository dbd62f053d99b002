import request from 'supertest';
import { QUEUE_EXPIRED_ERROR } from '../../sandbox/plivo-simulator';
import { MessageLog } from '../../src/mms/message-log/message-log.schema';
import { eventually } from '../support/eventually';
import { createTestApp, TestApp } from '../support/test-app';

const SEED = {
  destinationNumber: '+14157654321',
  messageText: 'Hello',
  mediaUrl: 'https://media.example.com/a.gif',
};
const BURST = 12;
/**
 * "Plivo's" rate and queue expiry in these tests: 5 MMS/s, 1.5 s in its queue at most. An
 * unpaced burst of 12 queues its last at 2.2 s: the 9th and later expire.
 */
const PLIVO_RATES = { accountMmsPerSecond: 5, queueExpiryMs: 1500 };

/** The message id a Plivo request was for (our ref in its callback URL). */
const refOf = (body: unknown) => /ref=([0-9a-f]{24})/.exec(JSON.stringify(body))?.[1];

/** A burst of immediate sends, all at once; every one must be accepted. */
async function burst(t: TestApp): Promise<string[]> {
  const answers = await Promise.all(
    Array.from({ length: BURST }, (_, i) =>
      request(t.baseUrl)
        .post('/send-mms')
        .send({ ...SEED, messageText: `Burst ${i}` }),
    ),
  );
  expect(answers.map((r) => r.status)).toEqual(Array(BURST).fill(202));
  return answers.map((r) => r.body.messageId as string);
}

/**
 * Plivo's own rate and queue expiry (the simulator's rate queue) against the gateway's pacing:
 * paced at Plivo's rate, nothing waits in Plivo's queue long enough to expire; unpaced, the
 * tail of a burst expires there (error 420). And what the pacer cannot give: 503 at once.
 */
describe('dispatch against Plivo rates (e2e)', () => {
  const logs = (t: TestApp) => t.db.model<MessageLog>(MessageLog.name);

  describe('the gateway paced at Plivo’s rate', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(
        { PACING_ACCOUNT_MMS_PER_SECOND: String(PLIVO_RATES.accountMmsPerSecond) },
        { rates: PLIVO_RATES },
      );
    });
    afterAll(async () => t?.close());

    it(`a burst of ${BURST} immediate sends: all sent, none expires in Plivo's queue (no 420)`, async () => {
      const ids = await burst(t);
      await eventually(
        async () => t.plivo.messages.filter((m) => m.sentAt || m.expiredAt).length,
        (n) => n === BURST,
        'every message out of Plivo’s queue',
        8000,
      );
      expect(t.plivo.messages.filter((m) => m.expiredAt)).toEqual([]);
      expect(t.plivo.sentMessages.map((r) => refOf(r.body)).sort()).toEqual([...ids].sort());
      // Paced, not bunched: 12 slots at 5/s span 2.2 s (the first may go a little late).
      const accepted = t.plivo.messages.map((m) => m.acceptedAt.getTime());
      expect(Math.max(...accepted) - Math.min(...accepted)).toBeGreaterThanOrEqual(1600);
      const stored = await eventually(
        () =>
          logs(t)
            .find({ _id: { $in: ids } })
            .lean(),
        (docs) => docs.every((d) => d.status === 'delivered'),
        'every message delivered',
      );
      expect(stored.filter((d) => d.errorCode)).toEqual([]);
      expect(t.plivo.callbacks.filter((c) => c.params.ErrorCode === QUEUE_EXPIRED_ERROR)).toEqual(
        [],
      );
    }, 15_000);
  });

  describe('the gateway not paced', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ PACING_ACCOUNT_MMS_PER_SECOND: '0' }, { rates: PLIVO_RATES });
    });
    beforeEach(async () => t.reset());
    afterAll(async () => t?.close());

    it(`the same burst: the tail expires in Plivo's queue with 420, and the log records those failed 420`, async () => {
      const ids = await burst(t);
      await eventually(
        async () => t.plivo.messages.filter((m) => m.sentAt || m.expiredAt).length,
        (n) => n === BURST,
        'every message out of Plivo’s queue',
        5000,
      );
      const expired = t.plivo.messages.filter((m) => m.expiredAt);
      expect(expired.length).toBeGreaterThanOrEqual(1);
      // The head of the burst leaves in time (8 slots within 1.5 s at 5/s), the tail does not
      // (4 at once; fewer when a loaded machine spreads the burst's arrival).
      expect(expired.length).toBeLessThanOrEqual(BURST - 8);
      const last = Math.max(...t.plivo.messages.map((m) => m.acceptedAt.getTime()));
      expect(expired.some((m) => m.acceptedAt.getTime() >= last - 500)).toBe(true);
      const expiredUuids = new Set(expired.map((m) => m.uuid));
      const expiredIds = t.plivo.sentMessages
        .filter((r) => expiredUuids.has(r.messageUuid!))
        .map((r) => refOf(r.body));
      expect(expiredIds).toHaveLength(expired.length);
      const failed = await eventually(
        () =>
          logs(t)
            .find({ _id: { $in: ids }, status: 'failed' })
            .lean(),
        (docs) => docs.length === expired.length,
        'the expired messages recorded failed through Plivo’s callbacks',
        5000,
      );
      expect(failed.map((d) => d._id.toHexString()).sort()).toEqual([...expiredIds].sort());
      for (const doc of failed) expect(doc.errorCode).toBe(QUEUE_EXPIRED_ERROR);
    }, 15_000);

    it('a validUntil shorter than 3 h: Plivo gets message_expiry = the seconds left of it', async () => {
      const validUntil = new Date(Date.now() + 600_000);
      await request(t.baseUrl)
        .post('/send-mms')
        .send({ ...SEED, validUntil: validUntil.toISOString() })
        .expect(202);
      const [sent] = t.plivo.sentMessages;
      const expiry = (sent.body as { message_expiry?: number }).message_expiry;
      expect(Number(expiry)).toBeGreaterThanOrEqual(595);
      expect(Number(expiry)).toBeLessThanOrEqual(600);
      expect(t.plivo.messages[0].messageExpirySeconds).toBe(Number(expiry));
    });
  });

  describe('the pacing backlog past a validUntil', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ PACING_ACCOUNT_MMS_PER_SECOND: '1', PACING_MAX_WAIT_MS: '0' });
    });
    afterAll(async () => t?.close());

    beforeEach(async () => t.reset());

    it('1 MMS/s and validUntil 8.5 s ahead (its last 5 s left free): 4 sends get a slot, the 5th and later are refused 503 SEND_BACKLOG_FULL with Retry-After, nothing logged', async () => {
      const validUntil = new Date(Date.now() + 8500).toISOString();
      const answers = [];
      for (let i = 0; i < 6; i++)
        answers.push(
          await request(t.baseUrl)
            .post('/send-mms')
            .send({ ...SEED, messageText: `Backlog ${i}`, validUntil }),
        );
      // Slots at 0, 1, 2 and 3 s: the first goes at once, three are held for their slot.
      expect(answers.map((r) => r.status)).toEqual([202, 202, 202, 202, 503, 503]);
      expect(answers.slice(1, 4).map((r) => r.body.status)).toEqual(Array(3).fill('scheduled'));
      for (const refused of answers.slice(4)) {
        expect(refused.body).toMatchObject({
          statusCode: 503,
          code: 'SEND_BACKLOG_FULL',
          message: expect.stringContaining('no slot within its validUntil'),
        });
        expect(refused.body.messageId).toBeUndefined();
        expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      }
      const logged = await logs(t).find().lean();
      expect(logged.map((d) => d._id.toHexString()).sort()).toEqual(
        answers
          .slice(0, 4)
          .map((r) => r.body.messageId)
          .sort(),
      );
    });

    it('a later sendAt counts the messages already held for that time: 1 MMS/s, validUntil 6.5 s after sendAt, 2 fit, the rest 503; the accepted are sent, none expires', async () => {
      const sendAt = Date.now() + 1500;
      const body = {
        sendAt: new Date(sendAt).toISOString(),
        validUntil: new Date(sendAt + 6500).toISOString(),
      };
      const answers = [];
      for (let i = 0; i < 5; i++)
        answers.push(
          await request(t.baseUrl)
            .post('/send-mms')
            .send({ ...SEED, messageText: `Later ${i}`, ...body }),
        );
      // The last usable slot is sendAt + 1.5 s: slots at sendAt and sendAt + 1 s.
      expect(answers.map((r) => r.status)).toEqual([202, 202, 503, 503, 503]);
      expect(answers[2].body.code).toBe('SEND_BACKLOG_FULL');
      const ids = answers.slice(0, 2).map((r) => r.body.messageId as string);
      const ended = await eventually(
        () =>
          logs(t)
            .find({ _id: { $in: ids } })
            .lean(),
        (docs) => docs.every((d) => !['scheduled', 'pending'].includes(d.status)),
        'both held messages handed to Plivo or ended',
        10_000,
      );
      expect(ended.map((d) => d.status).filter((st) => st === 'expired')).toEqual([]);
      // Only this test's: the previous test's held messages may still leave on a loaded machine.
      const later = t.plivo.sentMessages.filter((m) =>
        String((m.body as { text?: string }).text).startsWith('Later '),
      );
      expect(later).toHaveLength(2);
    });
  });
});
