import { PeriodicPasses } from './periodic-passes';

describe('PeriodicPasses', () => {
  it('runs a pass at start, the next one an interval after it ends, never two at once', async () => {
    const log: string[] = [];
    let release!: () => void;
    const passes = new PeriodicPasses(async () => {
      log.push('start');
      if (log.length === 1) await new Promise<void>((r) => (release = r));
      log.push('end');
    }, 5);
    passes.start();
    await new Promise((r) => setTimeout(r, 30));
    // The first pass is still under way: no second one has started.
    expect(log).toEqual(['start']);
    release();
    await new Promise((r) => setTimeout(r, 30));
    expect(log.slice(0, 4)).toEqual(['start', 'end', 'start', 'end']);
    await passes.stop();
  });

  it('stop waits for the pass under way, which sees stopped, and none runs after', async () => {
    let runs = 0;
    let sawStopped = false;
    let release!: () => void;
    const passes: PeriodicPasses = new PeriodicPasses(async () => {
      runs++;
      await new Promise<void>((r) => (release = r));
      sawStopped = passes.stopped;
    }, 1);
    passes.start();
    await new Promise((r) => setTimeout(r, 10));
    const stopping = passes.stop();
    let stoppedYet = false;
    void stopping.then(() => (stoppedYet = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(stoppedYet).toBe(false);
    release();
    await stopping;
    expect(sawStopped).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(runs).toBe(1);
  });
});
