import { Injectable } from '@nestjs/common';

/**
 * Shutdown bookkeeping: readiness fails as soon as shutdown begins, and the handlers still
 * running are counted, so MongoDB is closed only after the last one has written its log —
 * even when its client has already hung up (the HTTP server's close does not wait for those).
 */
@Injectable()
export class ShutdownState {
  private shuttingDown = false;
  private active = 0;
  private idleWaiters: (() => void)[] = [];

  begin(): void {
    this.shuttingDown = true;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  get inFlight(): number {
    return this.active;
  }

  /** Marks a handler as running; call the returned function (once) when it has finished. */
  enter(): () => void {
    this.active++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.active--;
      if (this.active === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    };
  }

  /** Resolves true once no handler runs, or false after timeoutMs. */
  waitForIdle(timeoutMs: number): Promise<boolean> {
    if (this.active === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
