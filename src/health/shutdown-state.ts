import { Injectable } from '@nestjs/common';

/** Set on SIGTERM so readiness fails at once while the listener still drains. */
@Injectable()
export class ShutdownState {
  private shuttingDown = false;

  begin(): void {
    this.shuttingDown = true;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }
}
