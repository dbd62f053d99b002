import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, MemoryHealthIndicator } from '@nestjs/terminus';
import { DatabasePingIndicator } from './database-ping.indicator';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly memory: MemoryHealthIndicator,
    private readonly database: DatabasePingIndicator,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Seed-compatible liveness: {status, timestamp}' })
  status(): { status: 'ok'; timestamp: string } {
    return { status: 'ok', timestamp: new Date().toISOString() };
  }

  @Get('live')
  @HealthCheck()
  @ApiOperation({ summary: 'Kubernetes liveness: the process only, never MongoDB or Plivo' })
  live() {
    return this.health.check([() => this.memory.checkHeap('heap', 512 * 1024 * 1024)]);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Kubernetes readiness: MongoDB answers a real ping' })
  ready() {
    return this.health.check([() => this.database.ping('mongodb')]);
  }
}
