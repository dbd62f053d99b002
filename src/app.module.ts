import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ConfigModule } from '@nestjs/config';
import { ApiKeyGuard } from './auth/api-key.guard';
import { AuthModule } from './auth/auth.module';
import { AllConfig } from './config/config.type';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { LoggingModule } from './http/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { MmsModule } from './mms/mms.module';
import { ClientThrottlerGuard } from './throttling/client-throttler.guard';
import { ThrottlingModule } from './throttling/throttling.module';

/** The features, in the order Nest initialises them. */
const FEATURES = [
  LoggingModule,
  DatabaseModule,
  AuthModule,
  MetricsModule,
  ThrottlingModule,
  MmsModule,
  HealthModule,
];

/**
 * The service: configuration, then the features. Built from a configuration the entry point
 * loaded and validated (src/main.ts, or the sandbox's), never from a global.
 */
@Module({})
export class AppModule {
  static forRoot(config: AllConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          cache: true,
          load: [() => config],
        }),
        ...FEATURES,
      ],
      providers: [
        // Throttle first (so guessing keys is throttled too), then authenticate.
        { provide: APP_GUARD, useClass: ClientThrottlerGuard },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
      ],
    };
  }
}
