import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { MongooseModule } from '@nestjs/mongoose';
import { LoggerModule } from 'nestjs-pino';
import { loggerParams } from './common/logger.config';
import { appConfig } from './config/app.config';
import { AllConfig } from './config/config.type';
import { databaseConfig } from './config/database.config';
import { plivoConfig } from './config/plivo.config';
import { HealthModule } from './health/health.module';
import { MmsModule } from './mms/mms.module';

@Module({
  imports: [
    // main.ts loads .env before the sandbox decides what to stand in for; config reads process.env.
    ConfigModule.forRoot({
      isGlobal: true,
      ignoreEnvFile: true,
      cache: true,
      load: [appConfig, plivoConfig, databaseConfig],
    }),
    LoggerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<AllConfig, true>) =>
        loggerParams(config.get('app', { infer: true })),
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
        };
      },
    }),
    MmsModule,
    HealthModule,
  ],
})
export class AppModule {}
