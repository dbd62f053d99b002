/**
 * A worker's stop: set once at shutdown, it ends every pause under way at once, and a pause
 * asked for after it returns at once. Shared by the workers that poll (status callbacks,
 * dispatch), so none of them holds shutdown for a poll interval.
 */
export class StopSignal {
  private readonly controller = new AbortController();

  get stopped(): boolean {
    return this.controller.signal.aborted;
  }

  stop(): void {
    this.controller.abort();
  }

  /** Waits `ms`, or less if the stop comes first. */
  pause(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const signal = this.controller.signal;
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
