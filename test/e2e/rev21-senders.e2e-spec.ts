/**
 * Review of issue #21: scheduled sends (sendAt) from a pool under per-number pacing. The held
 * backlog that counts against a number is that number's own, and the number free soonest is
 * chosen counting the messages already held for each.
 */
import request from 'supertest';
import { MessageLog } from '../../src/mms/message-log/message-log.schema';
import { createTestApp, TestApp } from '../support/test-app';

const ALPHA_KEY = 'rev21-alpha-key-0123456789';
const ALPHA = ['+12125550101', '+13105550102'];
const ENV = {
  API_KEYS: `alpha:${ALPHA_KEY}`,
  SENDER_NUMBERS: `alpha:${ALPHA.join('|')}`,
  THROTTLE_LIMIT: '100000',
  PACING_SENDER_MMS_PER_SECOND: '1',
  PACING_ACCOUNT_MMS_PER_SECOND: '1000',
};
const body = (destinationNumber: string, extra: Record<string, unknown> = {}) => ({
  destinationNumber,
  messageText: 'Hello',
  mediaUrl: 'https://media.example.com/a.gif',
  ...extra,
});
const send = (t: TestApp, payload: Record<string, unknown>) =>
  request(t.baseUrl).post('/send-mms').set('X-API-Key', ALPHA_KEY).send(payload);

describe('rev21: scheduled sends from a pool under per-number pacing (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(ENV);
  });
  afterAll(async () => t?.close());
  beforeEach(async () => t.reset());

  /** Six messages held for ALPHA[0] at `at` (its own cap: one a second, so six seconds). */
  async function holdSixOnFirst(at: Date) {
    for (let i = 0; i < 6; i++)
      await send(
        t,
        body(`+120255502${String(i).padStart(2, '0')}`, {
          sendAt: at.toISOString(),
          senderNumber: ALPHA[0],
        }),
      ).expect(202);
  }

  it("the other number's held messages do not count against a number's own cap (no false 503)", async () => {
    const at = new Date(Date.now() + 120_000);
    await holdSixOnFirst(at);
    // ALPHA[1] holds nothing: its slot at `at` is free, well within 8 s of validity.
    const res = await send(
      t,
      body('+12025550300', {
        sendAt: at.toISOString(),
        validUntil: new Date(at.getTime() + 8_000).toISOString(),
        senderNumber: ALPHA[1],
      }),
    );
    expect([res.status, res.body.code]).toEqual([202, undefined]);
  });

  it('a send naming no number goes from the number with the smaller held backlog at its sendAt', async () => {
    const at = new Date(Date.now() + 120_000);
    await holdSixOnFirst(at);
    const ids: string[] = [];
    for (const n of ['+12025550301', '+12025550302'])
      ids.push((await send(t, body(n, { sendAt: at.toISOString() })).expect(202)).body.messageId);
    const docs = await t.db
      .model(MessageLog.name)
      .find({ _id: { $in: ids } }, { sender: 1 })
      .lean();
    expect(docs.map((d) => d.sender)).toEqual([ALPHA[1], ALPHA[1]]);
  });
});
