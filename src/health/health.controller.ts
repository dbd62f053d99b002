import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  MemoryHealthIndicator,
} from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import { Public } from '../auth/public.decorator';
import { ApiErrorResponse } from '../shared/error-response.dto';
import { DatabasePingIndicator } from './database-ping.indicator';
import { EventLoopIndicator } from './event-loop.indicator';
import { livenessHeapLimit } from './heap-limit';
import { ShutdownState } from './shutdown-state';

/** Liveness fails a little before V8 would abort on a full heap (see heap-limit.ts). */
const HEAP_LIMIT_BYTES = livenessHeapLimit();

@ApiTags('health')
@Public()
@SkipThrottle({ default: true, webhook: true })
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly memory: MemoryHealthIndicator,
    private readonly database: DatabasePingIndicator,
    private readonly eventLoop: EventLoopIndicator,
    private readonly shutdown: ShutdownState,
    private readonly indicators: HealthIndicatorService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Seed-compatible status: {status, timestamp}' })
  status(): { status: 'ok'; timestamp: string } {
    return { status: 'ok', timestamp: new Date().toISOString() };
  }

  @Get('live')
  // Above @HealthCheck: the 503 body is the common error body (with `details`), not Terminus's.
  @ApiErrorResponse(
    503,
    'Event loop stalled or heap over its limit: restart me. `details` has each check.',
    ['SERVICE_UNAVAILABLE'],
  )
  @HealthCheck()
  @ApiOperation({
    summary: 'Kubernetes liveness: the process only (event loop, heap); never MongoDB or Plivo',
  })
  live() {
    return this.health.check([
      () => this.eventLoop.check('eventLoop'),
      () => this.memory.checkHeap('heap', HEAP_LIMIT_BYTES),
    ]);
  }

  @Get('ready')
  @ApiErrorResponse(
    503,
    'Do not route traffic here (database unreachable, or draining). `details` has each check.',
    ['SERVICE_UNAVAILABLE'],
  )
  @HealthCheck()
  @ApiOperation({
    summary:
      'Kubernetes readiness: MongoDB answers a real ping and the service is not shutting down',
  })
  ready() {
    return this.health.check([
      () => {
        const indicator = this.indicators.check('lifecycle');
        return this.shutdown.isShuttingDown
          ? indicator.down({ message: 'shutting down' })
          : indicator.up();
      },
      () => this.database.ping('mongodb'),
    ]);
  }
}
