import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { MongooseModule } from '@nestjs/mongoose';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { LoggerModule } from 'nestjs-pino';
import { LeanApiKeyGuard } from './api-key.guard';
import { LEAN_CONFIG, type LeanConfig } from './lean-config';
import { LeanMessageLog, LeanMessageLogSchema } from './lean-log.schema';
import { LeanPlivoSender } from './plivo-sender';
import { LeanSendController } from './send.controller';

/** One module: request logs, the database, the throttler, the API key, the send route. */
@Module({})
export class LeanAppModule {
  static forConfig(config: LeanConfig): DynamicModule {
    return {
      module: LeanAppModule,
      imports: [
        // pino-http: one `request completed` line per request at info.
        LoggerModule.forRoot({ pinoHttp: { level: config.logLevel } }),
        MongooseModule.forRoot(config.mongodbUri),
        MongooseModule.forFeature([{ name: LeanMessageLog.name, schema: LeanMessageLogSchema }]),
        ThrottlerModule.forRoot([{ ttl: config.throttleTtlMs, limit: config.throttleLimit }]),
      ],
      controllers: [LeanSendController],
      providers: [
        { provide: LEAN_CONFIG, useValue: config },
        LeanPlivoSender,
        // In this order: an unknown key is refused before it counts against a limit.
        { provide: APP_GUARD, useClass: LeanApiKeyGuard },
        { provide: APP_GUARD, useClass: ThrottlerGuard },
      ],
    };
  }
}
