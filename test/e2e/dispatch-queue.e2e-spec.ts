import request from 'supertest';
import { MessageLog } from '../../src/mms/message-log/message-log.schema';
import { eventually } from '../support/eventually';
import { PLIVO_WEBHOOK_ROUTES } from '../../src/mms/plivo/webhook-routes';
import { postSigned } from '../support/plivo-signing';
import { createTestApp, TEST_SENDER, TestApp } from '../support/test-app';

const SEED = {
  destinationNumber: '+14157654321',
  messageText: 'Hello later',
  mediaUrl: 'https://media.example.com/a.gif',
};
const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();

/**
 * The gateway's dispatch queue on the real database and simulator: scheduled sends, cancel,
 * expiry, the re-checks before the Plivo call, and pacing across two app instances.
 */
describe('dispatch queue (e2e)', () => {
  let t: TestApp;
  const logs = () => t.db.model<MessageLog>(MessageLog.name);
  const sentTo = (messageId: string) =>
    t.plivo.sentMessages.filter((r) => JSON.stringify(r.body).includes(`ref=${messageId}`));

  beforeAll(async () => {
    t = await createTestApp({ DISPATCH_POLL_MS: '50', DISPATCH_LEASE_MS: '2000' });
  });
  beforeEach(async () => t.reset());
  afterAll(async () => t?.close());

  it('a message scheduled 2 s ahead is answered 202 scheduled, sent within 2 s after sendAt and not before', async () => {
    const sendAt = inSeconds(2);
    const res = await request(t.baseUrl)
      .post('/send-mms')
      .send({ ...SEED, sendAt })
      .expect(202);
    expect(res.body).toEqual({
      message: 'MMS scheduled.',
      messageId: expect.stringMatching(/^[0-9a-f]{24}$/),
      status: 'scheduled',
      sendAt: new Date(sendAt).toISOString(),
      validUntil: new Date(Date.parse(sendAt) + 10_800_000).toISOString(),
      channel: 'mms',
    });
    expect(t.plivo.sentMessages).toHaveLength(0);
    const listed = await request(t.baseUrl).get('/messages?status=scheduled').expect(200);
    expect(listed.body.items.map((m: { id: string }) => m.id)).toEqual([res.body.messageId]);

    await eventually(
      async () => t.plivo.sentMessages.length,
      (n) => n === 1,
      'the send',
      6000,
    );
    const at = t.plivo.sentMessages[0].at.getTime();
    expect(at).toBeGreaterThanOrEqual(Date.parse(sendAt));
    expect(at).toBeLessThan(Date.parse(sendAt) + 2000);
    expect(sentTo(res.body.messageId)).toHaveLength(1);
    const stored = await eventually(
      () => logs().findById(res.body.messageId).lean(),
      (m) => m?.status === 'queued' || m?.status === 'sent' || m?.status === 'delivered',
      'queued',
    );
    expect(stored!.statusHistory.map((h) => h.status).slice(0, 3)).toEqual([
      'scheduled',
      'pending',
      'queued',
    ]);
    expect(stored!.dispatchDueAt).toBeUndefined();
  });

  it('cancel before sendAt: 200 canceled, again 200, never sent; after the send: 409', async () => {
    const res = await request(t.baseUrl)
      .post('/send-mms')
      .send({ ...SEED, sendAt: inSeconds(1) })
      .expect(202);
    const id = res.body.messageId;
    const canceled = await request(t.baseUrl).post(`/messages/${id}/cancel`).expect(200);
    expect(canceled.body).toMatchObject({ id, status: 'canceled' });
    await request(t.baseUrl).post(`/messages/${id}/cancel`).expect(200);

    const now = await request(t.baseUrl).post('/send-mms').send(SEED).expect(202);
    const refused = await request(t.baseUrl)
      .post(`/messages/${now.body.messageId}/cancel`)
      .expect(409);
    expect(refused.body).toMatchObject({ code: 'MESSAGE_NOT_CANCELABLE' });
    await request(t.baseUrl).post('/messages/0123456789abcdef01234567/cancel').expect(404);

    // Past the first one's sendAt, with the dispatcher polling every 50 ms: still not sent.
    await new Promise((r) => setTimeout(r, 1500));
    expect(sentTo(id)).toHaveLength(0);
    expect(t.plivo.sentMessages).toHaveLength(1);
  });

  it('a slow Plivo call does not stall the queue: a message due meanwhile goes at its time', async () => {
    // The first answer takes 1.2 s; the second message is due 0.3 s after the first.
    t.plivo.failNext({ delayMs: 1200 });
    const first = Date.now() + 300;
    const second = first + 300;
    for (const at of [first, second])
      await request(t.baseUrl)
        .post('/send-mms')
        .send({ ...SEED, sendAt: new Date(at).toISOString() })
        .expect(202);
    await eventually(
      async () => t.plivo.requests.length,
      (n) => n === 2,
      'both sends',
      5000,
      10,
    );
    const [, late] = t.plivo.requests.map((r) => r.at.getTime());
    expect(late).toBeGreaterThanOrEqual(second);
    expect(late - second).toBeLessThan(600);
  });

  it('a STOP received after scheduling: the message ends failed RECIPIENT_OPTED_OUT, never sent', async () => {
    const res = await request(t.baseUrl)
      .post('/send-mms')
      .send({ ...SEED, sendAt: inSeconds(1) })
      .expect(202);
    await postSigned(
      t.baseUrl,
      PLIVO_WEBHOOK_ROUTES.inbound,
      {
        MessageUUID: 'c6d1f0a2-0000-4000-8000-000000000001',
        From: SEED.destinationNumber,
        To: TEST_SENDER,
        Type: 'sms',
        Text: 'STOP',
      },
      { token: t.authToken },
    ).expect(200);
    const ended = await eventually(
      () => logs().findById(res.body.messageId).lean(),
      (m) => m?.status === 'failed',
      'failed',
      5000,
    );
    expect(ended).toMatchObject({ errorCode: 'RECIPIENT_OPTED_OUT' });
    expect(sentTo(res.body.messageId)).toHaveLength(0);
  });

  it('bad sendAt and validUntil: 400 VALIDATION_FAILED naming the field, nothing logged', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ sendAt: '2030-01-01T10:00:00' }, 'sendAt'],
      [{ sendAt: 'tomorrow' }, 'sendAt'],
      [{ sendAt: '2026-02-30T10:00:00Z' }, 'sendAt'],
      [{ sendAt: inSeconds(36 * 86400) }, 'sendAt'],
      [{ sendAt: inSeconds(60), validUntil: inSeconds(30) }, 'validUntil'],
      [{ validUntil: inSeconds(-5) }, 'validUntil'],
      [{ sendAt: inSeconds(60), validUntil: inSeconds(60 + 73 * 3600) }, 'validUntil'],
    ];
    for (const [fields, field] of cases) {
      const res = await request(t.baseUrl)
        .post('/send-mms')
        .send({ ...SEED, ...fields })
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect(await logs().countDocuments()).toBe(0);
  });

  it('a message not handed to Plivo by its validUntil expires, never sent', async () => {
    // Held until sendAt, but the dispatcher finds it already past its validity: forced by
    // moving the stored validUntil back, as if the replicas had been down until then.
    const res = await request(t.baseUrl)
      .post('/send-mms')
      .send({ ...SEED, sendAt: inSeconds(1), validUntil: inSeconds(7) })
      .expect(202);
    await logs().updateOne(
      { _id: res.body.messageId },
      { $set: { validUntil: new Date(Date.now() - 1) } },
    );
    const ended = await eventually(
      () => logs().findById(res.body.messageId).lean(),
      (m) => m?.status === 'expired',
      'expired',
      5000,
    );
    expect(ended).toMatchObject({ errorCode: 'MESSAGE_EXPIRED' });
    expect(t.plivo.sentMessages).toHaveLength(0);
  });
});
