import { retryDelayMs } from './callback-retry';

const settings = { retryBaseMs: 10_000, retryCapMs: 3_600_000 };

describe('retryDelayMs', () => {
  it('starts at the base and doubles, the jitter adding up to a quarter, never taking away', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, settings, () => 0))).toEqual([
      10_000, 20_000, 40_000, 80_000,
    ]);
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, settings, () => 1))).toEqual([
      12_500, 25_000, 50_000, 100_000,
    ]);
  });

  it('never waits more than the cap (one hour), however many failures', () => {
    for (const failures of [10, 11, 50, 1000])
      for (const random of [0, 0.5, 1])
        expect(retryDelayMs(failures, settings, () => random)).toBe(3_600_000);
    // Just below the cap, the jitter still cannot pass it.
    expect(retryDelayMs(9, settings, () => 1)).toBe(3_200_000);
  });

  it('spreads the retries of events that failed together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => retryDelayMs(3, settings)));
    expect(delays.size).toBeGreaterThan(40);
    for (const d of delays) expect(d >= 40_000 && d <= 50_000).toBe(true);
  });
});
