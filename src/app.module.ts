import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { MongooseModule } from '@nestjs/mongoose';
import { LoggerModule } from 'nestjs-pino';
import { loggerParams } from './http/logger.config';
import { AllConfig } from './config/config.type';
import { ApiKeyGuard } from './auth/api-key.guard';
import { IndexDriftCheck } from './database/index-drift';
import { AuthModule } from './auth/auth.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { ClientThrottlerGuard } from './throttling/client-throttler.guard';
import { ThrottlingModule } from './throttling/throttling.module';
import { MmsModule } from './mms/mms.module';

/** The features, in the order Nest initialises them. */
const FEATURES = [
  LoggerModule.forRootAsync({
    inject: [ConfigService],
    useFactory: (config: ConfigService<AllConfig, true>) =>
      loggerParams(config.get('app', { infer: true }), config.get('http.logPii', { infer: true })),
  }),
  MongooseModule.forRootAsync({
    inject: [ConfigService],
    useFactory: (config: ConfigService<AllConfig, true>) => {
      const db = config.get('database', { infer: true });
      return {
        uri: db.uri,
        serverSelectionTimeoutMS: db.serverSelectionTimeoutMs,
        // Fail fast instead of queueing writes in memory while the database is away: a send
        // must get a 503 at once, never a silently delayed log.
        bufferCommands: false,
        autoIndex: true,
        // Unreachable at boot: give up after 3 tries (well within 30 s) and exit non-zero with
        // a clear message rather than hang; Kubernetes restarts the pod.
        retryAttempts: 2,
        retryDelay: 1000,
      };
    },
  }),
  AuthModule,
  MetricsModule,
  ThrottlingModule,
  MmsModule,
  HealthModule,
];

/**
 * The service: configuration, logging, MongoDB, and the features. Built from a configuration
 * the entry point loaded and validated (src/main.ts, or the sandbox's), never from a global.
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
        IndexDriftCheck,
      ],
    };
  }
}
