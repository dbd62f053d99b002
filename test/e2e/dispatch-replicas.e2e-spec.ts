import request from 'supertest';
import { MessageLog } from '../../src/mms/message-log/message-log.schema';
import { eventually } from '../support/eventually';
import { createTestApp, TestApp } from '../support/test-app';

const SEED = {
  destinationNumber: '+14157654321',
  messageText: 'Hello',
  mediaUrl: 'https://media.example.com/a.gif',
};

/** The message id a Plivo request was for (our ref in its callback URL). */
const refOf = (body: unknown) => /ref=([0-9a-f]{24})/.exec(JSON.stringify(body))?.[1];

/**
 * Two app instances on one database (two replicas): the pacing they share, and the race of a
 * cancel with the dispatchers.
 */
describe('dispatch queue across replicas (e2e)', () => {
  let a: TestApp;
  let b: TestApp;
  const logs = () => a.db.model<MessageLog>(MessageLog.name);
  /** Every request either replica made to "Plivo" (each has its own simulator). */
  const plivoRequests = () => [...a.plivo.sentMessages, ...b.plivo.sentMessages];

  /** Two replicas on one new database. */
  const replicas = async (pacing: string) => {
    const env = {
      PACING_ACCOUNT_MMS_PER_SECOND: pacing,
      DISPATCH_POLL_MS: '50',
      DISPATCH_LEASE_MS: '3000',
    };
    a = await createTestApp(env);
    b = await createTestApp(env, {}, { dbName: a.dbName });
  };
  afterEach(async () => {
    await b?.close();
    await a?.close();
  });

  it('PACING_ACCOUNT_MMS_PER_SECOND=2 on two replicas: 20 sends all 202, each sent once, never more than 5 in any 2 s', async () => {
    await replicas('2');
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        request((i % 2 ? a : b).baseUrl)
          .post('/send-mms')
          .send({ ...SEED, messageText: `Hello ${i}` }),
      ),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(202));
    const ids = answers.map((r) => r.body.messageId as string);
    // Those that got a slot within PACING_MAX_WAIT_MS went in their request, the rest were held.
    expect(answers.filter((r) => r.body.status === 'queued').length).toBeGreaterThanOrEqual(2);
    expect(answers.filter((r) => r.body.status === 'scheduled').length).toBeGreaterThanOrEqual(10);

    await eventually(
      async () => plivoRequests().length,
      (n) => n >= 20,
      'all 20 sent',
      15_000,
    );
    // A little longer: nothing is sent twice.
    await new Promise((r) => setTimeout(r, 600));
    const sent = plivoRequests();
    expect(sent.map((r) => refOf(r.body)).sort()).toEqual([...ids].sort());
    const times = sent.map((r) => r.at.getTime()).sort((x, y) => x - y);
    const busiest = Math.max(
      ...times.map((t) => times.filter((u) => u >= t && u < t + 2000).length),
    );
    expect(busiest).toBeLessThanOrEqual(5);
    // Paced, not bunched: 20 messages at 2/s take at least 9.5 s from the first to the last.
    expect(times[19] - times[0]).toBeGreaterThanOrEqual(9000);
  }, 40_000);

  it('a cancel racing the dispatchers (100 messages): each ends canceled and never sent, or sent once with the cancel refused', async () => {
    // No pacing here: the race is between the cancel and the hand-over, on both replicas.
    await replicas('0');
    const due = Date.now() + 4000;
    const created = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        request((i % 2 ? a : b).baseUrl)
          .post('/send-mms')
          .send({ ...SEED, messageText: `Race ${i}`, sendAt: new Date(due).toISOString() }),
      ),
    );
    expect(created.map((r) => r.status)).toEqual(Array(100).fill(202));
    // Spread the cancels over the window in which the dispatchers take the messages.
    const cancels = await Promise.all(
      created.map(async (r, i) => {
        await new Promise((res) => setTimeout(res, Math.max(0, due - Date.now() - 100 + i * 4)));
        const res = await request((i % 2 ? b : a).baseUrl).post(
          `/messages/${r.body.messageId}/cancel`,
        );
        return { id: r.body.messageId as string, status: res.status };
      }),
    );
    expect(cancels.every((c) => c.status === 200 || c.status === 409)).toBe(true);
    const won = cancels.filter((c) => c.status === 200);
    const lost = cancels.filter((c) => c.status === 409);
    // The race happened both ways (the spread covers before and after the dispatch).
    expect(won.length).toBeGreaterThan(0);
    expect(lost.length).toBeGreaterThan(0);
    await eventually(
      async () => plivoRequests().length,
      (n) => n >= lost.length,
      'the refused cancels sent',
      10_000,
    );
    await new Promise((r) => setTimeout(r, 500));
    const sentIds = plivoRequests().map((r) => refOf(r.body));
    for (const c of lost) expect(sentIds.filter((id) => id === c.id)).toHaveLength(1);
    for (const c of won) expect(sentIds).not.toContain(c.id);
    expect(sentIds).toHaveLength(lost.length);
    const canceled = await logs().countDocuments({
      _id: { $in: won.map((c) => c.id) },
      status: 'canceled',
    });
    expect(canceled).toBe(won.length);
  }, 40_000);
});
