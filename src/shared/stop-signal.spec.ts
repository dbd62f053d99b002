import { StopSignal } from './stop-signal';

describe('StopSignal', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('a pause lasts its time while nothing stops', async () => {
    const stop = new StopSignal();
    let done = false;
    void stop.pause(1000).then(() => (done = true));
    await jest.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
  });

  it('the stop ends a pause under way at once, and later pauses return at once', async () => {
    const stop = new StopSignal();
    let done = false;
    void stop.pause(60_000).then(() => (done = true));
    stop.stop();
    await Promise.resolve();
    await Promise.resolve();
    expect(done).toBe(true);
    expect(stop.stopped).toBe(true);
    await expect(stop.pause(60_000)).resolves.toBeUndefined();
  });
});
