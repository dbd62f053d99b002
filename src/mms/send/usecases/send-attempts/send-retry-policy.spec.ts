import { ConfigService } from '@nestjs/config';
import { AllConfig } from '../../../../config/config.type';
import { ProviderSendError } from '../../../plivo/messaging-provider';
import { SendRetryPolicy } from './send-retry-policy';

function policyWith(maxRetries: number, sendDeadlineMs: number): SendRetryPolicy {
  const values: Record<string, unknown> = {
    'plivo.maxRetries': maxRetries,
    'plivo.sendDeadlineMs': sendDeadlineMs,
  };
  const config = {
    get: (key: string) => {
      if (!(key in values)) throw new Error(`unexpected config key ${key}`);
      return values[key];
    },
  } as unknown as ConfigService<AllConfig, true>;
  return new SendRetryPolicy(config);
}

/** A promise that never settles: Plivo that never answers. */
const never = <T>() => new Promise<T>(() => undefined);

describe('SendRetryPolicy', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_700_000_000_000 }));
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('uses base 500 ms and cap 5 s', () => {
    expect(SendRetryPolicy.BASE_MS).toBe(500);
    expect(SendRetryPolicy.CAP_MS).toBe(5000);
  });

  describe('nextDelay', () => {
    // attempt → ceiling = min(5000, 500 * 2^(attempt-1))
    const ceilings: [number, number][] = [
      [1, 500],
      [2, 1000],
      [3, 2000],
      [4, 4000],
      [5, 5000],
      [6, 5000],
      [10, 5000],
    ];

    it.each(ceilings)('attempt %i: the lowest jitter gives ceiling/2 (ceiling %i)', (n, c) => {
      jest.spyOn(Math, 'random').mockReturnValue(0);
      const policy = policyWith(10, 10 * 60_000);
      expect(policy.nextDelay(n, policy.startDeadline())).toBe(c / 2);
    });

    it.each(ceilings)('attempt %i: the highest jitter gives the ceiling (ceiling %i)', (n, c) => {
      jest.spyOn(Math, 'random').mockReturnValue(1 - Number.EPSILON);
      const policy = policyWith(10, 10 * 60_000);
      expect(policy.nextDelay(n, policy.startDeadline())).toBe(c);
    });

    it.each(ceilings)('attempt %i: real jitter stays inside [ceiling/2, ceiling]', (n, c) => {
      const policy = policyWith(10, 10 * 60_000);
      const deadline = policy.startDeadline();
      const seen = new Set<number>();
      for (let i = 0; i < 500; i++) {
        const delay = policy.nextDelay(n, deadline);
        expect(delay).toBeGreaterThanOrEqual(c / 2);
        expect(delay).toBeLessThanOrEqual(c);
        expect(Number.isInteger(delay)).toBe(true);
        seen.add(delay as number);
      }
      expect(seen.size).toBeGreaterThan(10); // jittered, not a constant
    });

    it('grows exponentially until the cap', () => {
      jest.spyOn(Math, 'random').mockReturnValue(0.5);
      const policy = policyWith(10, 10 * 60_000);
      const deadline = policy.startDeadline();
      const delays = [1, 2, 3, 4, 5, 6].map((n) => policy.nextDelay(n, deadline));
      expect(delays).toEqual([375, 750, 1500, 3000, 3750, 3750]);
    });

    it('stops after maxRetries', () => {
      const policy = policyWith(3, 10 * 60_000);
      const deadline = policy.startDeadline();
      expect(policy.nextDelay(1, deadline)).toBeDefined();
      expect(policy.nextDelay(3, deadline)).toBeDefined();
      expect(policy.nextDelay(4, deadline)).toBeUndefined();
      expect(policy.nextDelay(5, deadline)).toBeUndefined();
    });

    it('never retries with maxRetries 0', () => {
      const policy = policyWith(0, 10 * 60_000);
      expect(policy.nextDelay(1, policy.startDeadline())).toBeUndefined();
    });

    it('stops when the wait plus 250 ms of room would reach the deadline', () => {
      jest.spyOn(Math, 'random').mockReturnValue(0); // attempt 1 → 250 ms
      const policy = policyWith(10, 1000);
      const deadline = policy.startDeadline();
      expect(policy.nextDelay(1, deadline)).toBe(250); // 0 + 250 + 250 < 1000
      jest.setSystemTime(Date.now() + 499);
      expect(policy.nextDelay(1, deadline)).toBe(250); // 499 + 500 < 1000
      jest.setSystemTime(Date.now() + 1);
      expect(policy.nextDelay(1, deadline)).toBeUndefined(); // 500 + 500 = 1000: not < 1000
    });

    it('stops when a longer wait would pass the deadline even though an earlier one fit', () => {
      jest.spyOn(Math, 'random').mockReturnValue(0);
      const policy = policyWith(10, 2700);
      const deadline = policy.startDeadline();
      expect(policy.nextDelay(1, deadline)).toBe(250);
      expect(policy.nextDelay(2, deadline)).toBe(500);
      expect(policy.nextDelay(3, deadline)).toBe(1000);
      expect(policy.nextDelay(4, deadline)).toBe(2000); // 2000 + 250 < 2700
      expect(policy.nextDelay(5, deadline)).toBeUndefined(); // 2500 + 250 ≥ 2700
    });

    it('gives no retry once the deadline has passed', () => {
      const policy = policyWith(10, 1000);
      const deadline = policy.startDeadline();
      jest.setSystemTime(Date.now() + 5000);
      expect(policy.nextDelay(1, deadline)).toBeUndefined();
    });
  });

  describe('startDeadline', () => {
    it('ends sendDeadlineMs from now', () => {
      const now = Date.now();
      expect(policyWith(3, 1234).startDeadline().endsAt).toBe(now + 1234);
    });

    it('race resolves with the work when it finishes first, and clears its timer', async () => {
      const deadline = policyWith(3, 1000).startDeadline();
      await expect(deadline.race(Promise.resolve('ok'))).resolves.toBe('ok');
      expect(jest.getTimerCount()).toBe(0);
    });

    it("race passes the work's own rejection through, and clears its timer", async () => {
      const deadline = policyWith(3, 1000).startDeadline();
      const own = new Error('boom');
      await expect(deadline.race(Promise.reject(own))).rejects.toBe(own);
      expect(jest.getTimerCount()).toBe(0);
    });

    it('race rejects with an ambiguous ProviderSendError when the deadline passes', async () => {
      const deadline = policyWith(3, 1000).startDeadline();
      let settled: unknown;
      const raced = deadline.race(never<string>()).catch((e: unknown) => (settled = e));

      await jest.advanceTimersByTimeAsync(999);
      expect(settled).toBeUndefined();
      await jest.advanceTimersByTimeAsync(1);
      await raced;

      expect(settled).toBeInstanceOf(ProviderSendError);
      const error = settled as ProviderSendError;
      expect(error.failure).toEqual({
        kind: 'ambiguous',
        reason: 'Send deadline exceeded while waiting for Plivo',
        retryable: false,
      });
      expect(error.failure.httpStatus).toBeUndefined();
      expect(error.message).toBe(error.failure.reason);
    });

    it('a later race gets only the time left, not a fresh deadline', async () => {
      const deadline = policyWith(3, 1000).startDeadline();
      await jest.advanceTimersByTimeAsync(700);
      let settled: unknown;
      const raced = deadline.race(never<string>()).catch((e: unknown) => (settled = e));
      await jest.advanceTimersByTimeAsync(299);
      expect(settled).toBeUndefined();
      await jest.advanceTimersByTimeAsync(1);
      await raced;
      expect((settled as ProviderSendError).failure.kind).toBe('ambiguous');
    });

    it('a race started after the deadline rejects at once', async () => {
      const deadline = policyWith(3, 1000).startDeadline();
      jest.setSystemTime(Date.now() + 2000);
      const raced = deadline.race(never<string>());
      const assertion = expect(raced).rejects.toBeInstanceOf(ProviderSendError);
      await jest.advanceTimersByTimeAsync(0);
      await assertion;
    });

    it('works with a tiny real deadline too (no fake timers)', async () => {
      jest.useRealTimers();
      const deadline = policyWith(3, 20).startDeadline();
      const started = Date.now();
      await expect(deadline.race(never<string>())).rejects.toMatchObject({
        failure: { kind: 'ambiguous', retryable: false },
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    });
  });
});
