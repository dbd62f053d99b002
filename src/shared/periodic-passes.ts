/**
 * A job run in passes on every replica: the first at start, each next one `intervalMs` after
 * the previous ended (never two at once). `stop()` (at shutdown, before the database closes)
 * cancels the next one and waits for a pass under way, which reads `stopped` to end early.
 * Shared by the workers that sweep (the pending reconciler, the campaign monitor).
 */
export class PeriodicPasses {
  private timer?: NodeJS.Timeout;
  private pass?: Promise<unknown>;
  private ended = false;

  constructor(
    private readonly run: () => Promise<unknown>,
    private readonly intervalMs: number,
  ) {}

  get stopped(): boolean {
    return this.ended;
  }

  start(): void {
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.ended = true;
    clearTimeout(this.timer);
    await this.pass;
  }

  private schedule(delayMs: number): void {
    if (this.ended) return;
    this.timer = setTimeout(() => {
      this.pass = this.run().finally(() => this.schedule(this.intervalMs));
    }, delayMs);
    this.timer.unref();
  }
}
