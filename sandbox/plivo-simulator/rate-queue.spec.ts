import { parseRateLimits, PLIVO_RATES, RateQueue, type QueuedMessage } from './rate-queue';

/** The RateQueue's arithmetic, times in ms from 0: no clock involved. */

const A = '+18005550100';
const B = '+18005550101';

function burst(queue: RateQueue, n: number, message: Partial<QueuedMessage> = {}) {
  return Array.from({ length: n }, () =>
    queue.admit({ type: 'mms', src: A, acceptedAt: 0, ...message }),
  );
}

const sentAt = (at: number) => ({ outcome: 'sent', at });
const expiredAt = (at: number) => ({ outcome: 'expired', at });

describe('RateQueue (Plivo queue model)', () => {
  it('rates off: no departure, the message leaves at once as before', () => {
    expect(new RateQueue().admit({ type: 'mms', src: A, acceptedAt: 0 })).toBeUndefined();
    const queue = new RateQueue({ senderMmsPerSecond: 1 });
    queue.set(null);
    expect(queue.admit({ type: 'mms', src: A, acceptedAt: 0 })).toBeUndefined();
  });

  it('a burst of 10 MMS from a toll-free number (2 MMS/s) leaves 500 ms apart', () => {
    const queue = new RateQueue({ senderMmsPerSecond: PLIVO_RATES.tollFreeMmsPerSecond });
    expect(burst(queue, 10)).toEqual(
      [0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500].map(sentAt),
    );
  });

  it("the account's default 0.25 MMS/s spaces MMS from any number 4 s apart", () => {
    const queue = new RateQueue({ accountMmsPerSecond: PLIVO_RATES.accountMmsPerSecond });
    expect([A, B, A].map((src) => queue.admit({ type: 'mms', src, acceptedAt: 0 }))).toEqual(
      [0, 4000, 8000].map(sentAt),
    );
  });

  it("per-number cap: one number's backlog does not hold back another number's messages", () => {
    const queue = new RateQueue({ accountMmsPerSecond: 10, senderMmsPerSecond: 2 });
    const fromA = burst(queue, 4, { src: A });
    const fromB = burst(queue, 4, { src: B });
    expect(fromA).toEqual([0, 500, 1000, 1500].map(sentAt));
    // B fills the account's free slots between A's (100 ms apart at 10/s), at its own 2/s.
    expect(fromB).toEqual([100, 600, 1100, 1600].map(sentAt));
  });

  it('SMS and MMS buckets are independent (account and number)', () => {
    const queue = new RateQueue({
      accountMmsPerSecond: 0.25,
      accountSmsPerSecond: 5,
      senderMmsPerSecond: 2,
      senderSmsPerSecond: 5,
    });
    const mms = burst(queue, 2);
    const sms = burst(queue, 3, { type: 'sms' });
    expect(mms).toEqual([0, 4000].map(sentAt));
    expect(sms).toEqual([0, 200, 400].map(sentAt));
  });

  it('a message that comes after the backlog cleared leaves at once', () => {
    const queue = new RateQueue({ accountMmsPerSecond: 1 });
    burst(queue, 3);
    expect(queue.admit({ type: 'mms', src: A, acceptedAt: 10_000 })).toEqual(sentAt(10_000));
    expect(queue.admit({ type: 'mms', src: B, acceptedAt: 10_200 })).toEqual(sentAt(11_000));
  });

  it('a burst that overruns a 1 s queue expiry: its tail fails at the expiry and takes no slot', () => {
    const queue = new RateQueue({ senderMmsPerSecond: 2, queueExpiryMs: 1000 });
    expect(burst(queue, 5)).toEqual([
      sentAt(0),
      sentAt(500),
      sentAt(1000),
      expiredAt(1000),
      expiredAt(1000),
    ]);
    // The expired ones took no slot: the next one accepted later gets the slot after 1000.
    expect(queue.admit({ type: 'mms', src: A, acceptedAt: 1200 })).toEqual(sentAt(1500));
  });

  it('rates on: a message still queued after 3 hours expires (Plivo error 420)', () => {
    const queue = new RateQueue({ accountMmsPerSecond: PLIVO_RATES.accountMmsPerSecond });
    const departures = burst(queue, 2702);
    // 0.25 MMS/s: the 2701st leaves at exactly 3 h, the 2702nd would be later.
    expect(departures[2700]).toEqual(sentAt(3 * 3600 * 1000));
    expect(departures[2701]).toEqual(expiredAt(PLIVO_RATES.queueExpiryMs));
  });

  it('message_expiry shortens the limit for its message only', () => {
    const queue = new RateQueue({ accountMmsPerSecond: 0.25 });
    expect(burst(queue, 1)).toEqual([sentAt(0)]);
    expect(burst(queue, 1, { messageExpirySeconds: 5 })).toEqual([sentAt(4000)]);
    expect(burst(queue, 1, { messageExpirySeconds: 5 })).toEqual([expiredAt(5000)]);
    expect(burst(queue, 1)).toEqual([sentAt(8000)]);
    // Never longer than the queue's own limit.
    const short = new RateQueue({ accountMmsPerSecond: 0.25, queueExpiryMs: 1000 });
    expect(burst(short, 2, { messageExpirySeconds: 60 })).toEqual([sentAt(0), expiredAt(1000)]);
  });

  it('WhatsApp is not paced', () => {
    const queue = new RateQueue({ accountMmsPerSecond: 0.25, accountSmsPerSecond: 0.25 });
    expect(burst(queue, 2, { type: 'whatsapp' })).toEqual([sentAt(0), sentAt(0)]);
  });

  it('set() forgets the slots given so far', () => {
    const queue = new RateQueue({ senderMmsPerSecond: 1 });
    burst(queue, 3);
    queue.set({ senderMmsPerSecond: 1 });
    expect(burst(queue, 1)).toEqual([sentAt(0)]);
  });

  describe('parseRateLimits (POST /_sim/rates)', () => {
    it.each([
      [null, null],
      [{}, null],
      [{ accountMmsPerSecond: null }, null],
      [
        { senderMmsPerSecond: 2, queueExpiryMs: 1000 },
        { senderMmsPerSecond: 2, queueExpiryMs: 1000 },
      ],
    ])('%j → %j', (body, limits) => {
      expect(parseRateLimits(body)).toEqual({ ok: true, limits });
    });

    it.each([
      [[1], /JSON object/],
      ['fast', /JSON object/],
      [{ accountMmsPerSecond: 0 }, /accountMmsPerSecond must be a positive number/],
      [{ senderSmsPerSecond: '5' }, /senderSmsPerSecond must be a positive number/],
      [{ queueExpiryMs: -1 }, /queueExpiryMs must be a positive number/],
      [{ mmsPerSecond: 1 }, /unknown rate mmsPerSecond/],
    ])('%j → 400 %p', (body, error) => {
      const parsed = parseRateLimits(body);
      expect(parsed.ok).toBe(false);
      expect(!parsed.ok && parsed.error).toMatch(error);
    });
  });
});
