import { ShutdownState } from './shutdown-state';

describe('ShutdownState', () => {
  it('waits for running handlers, and only for them', async () => {
    const state = new ShutdownState();
    await expect(state.waitForIdle(10)).resolves.toBe(true);
    const leaveA = state.enter();
    const leaveB = state.enter();
    const idle = state.waitForIdle(1000);
    leaveA();
    leaveA(); // leaving twice counts once
    expect(state.inFlight).toBe(1);
    leaveB();
    await expect(idle).resolves.toBe(true);
  });

  it('gives up after the timeout', async () => {
    const state = new ShutdownState();
    state.enter();
    await expect(state.waitForIdle(20)).resolves.toBe(false);
  });
});
