/**
 * At most one log line per `intervalMs` for an event that can come in floods (refused requests):
 * `take()` says whether to write this one, and how many were left unwritten since the last line.
 */
export class LogSampler {
  private lastAt = -Infinity;
  private skipped = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Undefined: skip this line. Otherwise write it, with the count of lines skipped before it. */
  take(): { skipped: number } | undefined {
    const now = this.now();
    if (now - this.lastAt < this.intervalMs) {
      this.skipped++;
      return undefined;
    }
    const skipped = this.skipped;
    this.lastAt = now;
    this.skipped = 0;
    return { skipped };
  }
}
