import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DatabasePingIndicator } from './database-ping.indicator';
import { EventLoopIndicator } from './event-loop.indicator';
import { HealthController } from './health.controller';
import { ShutdownState } from './shutdown-state';

@Global()
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [DatabasePingIndicator, EventLoopIndicator, ShutdownState],
  exports: [ShutdownState],
})
export class HealthModule {}
