/**
 * Attempts under way per destination (`host:port`) on this replica, against
 * STATUS_CALLBACK_HOST_CONCURRENCY: a claim skips the hosts that are full, so an endpoint that
 * answers slowly or never holds at most that many lanes and the others stay free for everyone
 * else. Per replica: each replica counts its own lanes (n replicas, at most n × the cap).
 */
export class CallbackHostSlots {
  private readonly inFlight = new Map<string, number>();

  constructor(private readonly perHost: number) {}

  /** The hosts a claim must skip. */
  full(): string[] {
    return [...this.inFlight].filter(([, n]) => n >= this.perHost).map(([host]) => host);
  }

  isFull(host: string): boolean {
    return (this.inFlight.get(host) ?? 0) >= this.perHost;
  }

  take(host: string): void {
    this.inFlight.set(host, (this.inFlight.get(host) ?? 0) + 1);
  }

  release(host: string): void {
    const left = (this.inFlight.get(host) ?? 1) - 1;
    if (left > 0) this.inFlight.set(host, left);
    else this.inFlight.delete(host);
  }
}
