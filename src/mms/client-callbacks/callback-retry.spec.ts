import { retryDelayMs } from './callback-retry';

const settings = { retryBaseMs: 10_000, retryCapMs: 3_600_000 };

describe('retryDelayMs', () => {
  it('doubles from the base, between half and all of each step (equal jitter)', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, settings, () => 0))).toEqual([
      5000, 10_000, 20_000, 40_000,
    ]);
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, settings, () => 1))).toEqual([
      10_000, 20_000, 40_000, 80_000,
    ]);
  });

  it('never waits more than the cap (one hour), however many failures', () => {
    for (const failures of [10, 11, 50, 1000])
      expect(retryDelayMs(failures, settings, () => 1)).toBe(3_600_000);
    expect(retryDelayMs(1000, settings, () => 0)).toBe(1_800_000);
  });

  it('spreads the retries of events that failed together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => retryDelayMs(3, settings)));
    expect(delays.size).toBeGreaterThan(40);
    for (const d of delays) expect(d >= 20_000 && d <= 40_000).toBe(true);
  });
});
