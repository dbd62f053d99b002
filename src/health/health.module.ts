import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { DatabasePingIndicator } from './database-ping.indicator';
import { EventLoopIndicator } from './event-loop.indicator';
import { HealthController } from './health.controller';
import { InFlightInterceptor } from './in-flight.interceptor';
import { ShutdownState } from './shutdown-state';

@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [
    DatabasePingIndicator,
    EventLoopIndicator,
    ShutdownState,
    { provide: APP_INTERCEPTOR, useClass: InFlightInterceptor },
  ],
})
export class HealthModule {}
