import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { MongooseModule } from '@nestjs/mongoose';
import { LoggerModule } from 'nestjs-pino';
import { loggerParams } from './common/logger.config';
import { appConfig } from './config/app.config';
import { AllConfig } from './config/config.type';
import { databaseConfig } from './config/database.config';
import { plivoConfig } from './config/plivo.config';
import { ApiKeyGuard } from './auth/api-key.guard';
import { AuthModule } from './auth/auth.module';
import { httpConfig } from './config/http.config';
import { sendConfig } from './config/send.config';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { ClientThrottlerGuard } from './throttling/client-throttler.guard';
import { ThrottlingModule } from './throttling/throttling.module';
import { MmsModule } from './mms/mms.module';

@Module({
  imports: [
    // main.ts loads .env before the sandbox decides what to stand in for; config reads process.env.
    ConfigModule.forRoot({
      isGlobal: true,
      ignoreEnvFile: true,
      cache: true,
      load: [appConfig, plivoConfig, databaseConfig, httpConfig, sendConfig],
    }),
    LoggerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<AllConfig, true>) =>
        loggerParams(
          config.get('app', { infer: true }),
          config.get('http.logPii', { infer: true }),
        ),
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
  ],
  providers: [
    // Throttle first (so guessing keys is throttled too), then authenticate.
    { provide: APP_GUARD, useClass: ClientThrottlerGuard },
    { provide: APP_GUARD, useClass: ApiKeyGuard },
  ],
})
export class AppModule {}
