/**
 * Attempts under way per key on this replica, against a cap: per destination `host:port`
 * (STATUS_CALLBACK_HOST_CONCURRENCY) and per client (STATUS_CALLBACK_CLIENT_CONCURRENCY). A claim
 * skips the keys that are full, so an endpoint, or a client whose URLs point at several
 * endpoints, that answers slowly or never holds at most that many lanes and the others stay free
 * for everyone else. Per replica: each replica counts its own lanes (n replicas, at most n × the
 * cap).
 */
export class CallbackSlots {
  private readonly inFlight = new Map<string, number>();

  constructor(private readonly cap: number) {}

  /** The keys a claim must skip. */
  full(): string[] {
    return [...this.inFlight].filter(([, n]) => n >= this.cap).map(([key]) => key);
  }

  isFull(key: string): boolean {
    return (this.inFlight.get(key) ?? 0) >= this.cap;
  }

  take(key: string): void {
    this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);
  }

  release(key: string): void {
    const left = (this.inFlight.get(key) ?? 1) - 1;
    if (left > 0) this.inFlight.set(key, left);
    else this.inFlight.delete(key);
  }
}
