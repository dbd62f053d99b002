import { LogSampler } from './log-sampler';

describe('LogSampler', () => {
  it('writes the first line, then at most one per interval, telling how many were skipped', () => {
    let now = 1000;
    const sampler = new LogSampler(10_000, () => now);
    expect(sampler.take()).toEqual({ skipped: 0 });
    const skipped = Array.from({ length: 50 }, () => {
      now += 100;
      return sampler.take();
    });
    expect(skipped.every((s) => s === undefined)).toBe(true);
    now = 11_000;
    expect(sampler.take()).toEqual({ skipped: 50 });
    expect(sampler.take()).toBeUndefined();
    now = 30_000;
    expect(sampler.take()).toEqual({ skipped: 1 });
  });
});
