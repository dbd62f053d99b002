import { Injectable } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Connection } from 'mongoose';

/**
 * Sends a real `ping` with a short timeout. Terminus' Mongoose indicator only reads the
 * connection state, which stays "connected" while a primary hangs.
 */
@Injectable()
export class DatabasePingIndicator {
  constructor(
    @InjectConnection() private readonly connection: Connection,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async ping(key: string, timeoutMs = 1500) {
    const indicator = this.indicators.check(key);
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const db = this.connection.db;
      if (!db || this.connection.readyState !== 1)
        return indicator.down({ message: 'not connected' });
      await Promise.race([
        db.admin().ping({ maxTimeMS: timeoutMs }),
        new Promise(
          (_, reject) =>
            (timer = setTimeout(
              () => reject(new Error(`no answer within ${timeoutMs} ms`)),
              timeoutMs,
            )),
        ),
      ]);
      return indicator.up({ latencyMs: Date.now() - started });
    } catch (error) {
      return indicator.down({ message: error instanceof Error ? error.message : 'ping failed' });
    } finally {
      clearTimeout(timer);
    }
  }
}
