import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import { AllConfig } from '../config/config.type';
import { loggerParams } from './logger.config';

/** JSON request logs (pino), with request ids and PII masked unless LOG_PII allows it. */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<AllConfig, true>) =>
        loggerParams(
          config.get('app', { infer: true }),
          config.get('http.logPii', { infer: true }),
        ),
    }),
  ],
})
export class LoggingModule {}
