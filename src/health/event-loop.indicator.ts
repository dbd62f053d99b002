import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { monitorEventLoopDelay, IntervalHistogram } from 'node:perf_hooks';

/** Down when the event loop's recent p99 delay exceeds a limit: the process is wedged. */
@Injectable()
export class EventLoopIndicator implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  private lastReset = Date.now();

  constructor(private readonly indicators: HealthIndicatorService) {
    this.histogram.enable();
  }

  /**
   * Boot blocks the loop (module loading, compilation) for as long as it takes on a busy
   * machine: that is not a wedged process, so the window starts once the app is up.
   */
  onApplicationBootstrap(): void {
    this.histogram.reset();
    this.lastReset = Date.now();
  }

  check(key: string, limitMs = 1000) {
    const p99Ms = this.histogram.percentile(99) / 1e6;
    if (Date.now() - this.lastReset > 30000) {
      this.histogram.reset();
      this.lastReset = Date.now();
    }
    const indicator = this.indicators.check(key);
    const details = { p99DelayMs: Math.round(p99Ms) };
    return p99Ms > limitMs ? indicator.down(details) : indicator.up(details);
  }

  onModuleDestroy(): void {
    this.histogram.disable();
  }
}
