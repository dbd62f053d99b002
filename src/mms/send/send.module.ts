import { Module } from '@nestjs/common';
import { MetricsModule } from '../../metrics/metrics.module';
import { MediaModule } from '../media/media.module';
import { MessageLogModule } from '../message-log/message-log.module';
import { PlivoModule } from '../plivo/plivo.module';
import { IdempotencyModule } from './idempotency/idempotency.module';
import { SendMmsController } from './send-mms.controller';
import { RecordSendFailureUseCase } from './usecases/record-send-failure/record-send-failure.usecase';
import { SendAttemptsUseCase } from './usecases/send-attempts/send-attempts.usecase';
import { SendRetryPolicy } from './usecases/send-attempts/send-retry-policy';
import { SendMmsUseCase } from './usecases/send-mms/send-mms.usecase';

/** POST /send-mms: validate, log, send through Plivo with retries and SMS fallback. */
@Module({
  imports: [PlivoModule, MessageLogModule, MediaModule, IdempotencyModule, MetricsModule],
  controllers: [SendMmsController],
  providers: [SendMmsUseCase, SendAttemptsUseCase, SendRetryPolicy, RecordSendFailureUseCase],
})
export class SendModule {}
