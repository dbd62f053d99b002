import { Module } from '@nestjs/common';
import { MetricsModule } from '../../metrics/metrics.module';
import { ClientCallbacksModule } from '../client-callbacks/client-callbacks.module';
import { MediaModule } from '../media/media.module';
import { MessageLogModule } from '../message-log/message-log.module';
import { OptOutsModule } from '../opt-outs/opt-outs.module';
import { PacingModule } from '../pacing/pacing.module';
import { PlivoModule } from '../plivo/plivo.module';
import { SendersModule } from '../senders/senders.module';
import { IdempotencyModule } from './idempotency/idempotency.module';
import { SendMmsController } from './send-mms.controller';
import { DeliverMessageUseCase } from './usecases/deliver-message/deliver-message.usecase';
import { RecordSendFailureUseCase } from './usecases/record-send-failure/record-send-failure.usecase';
import { SendAttemptsUseCase } from './usecases/send-attempts/send-attempts.usecase';
import { SendRetryPolicy } from './usecases/send-attempts/send-retry-policy';
import { SendMmsUseCase } from './usecases/send-mms/send-mms.usecase';
import { SendReplyUseCase } from './usecases/send-reply/send-reply.usecase';

/**
 * POST /send-mms: validate, refuse opted-out recipients, log, send through Plivo with retries
 * and SMS fallback. Exports the same path for the gateway's own replies (STOP/START/HELP).
 */
@Module({
  imports: [
    PlivoModule,
    MessageLogModule,
    MediaModule,
    IdempotencyModule,
    MetricsModule,
    OptOutsModule,
    ClientCallbacksModule,
    PacingModule,
    SendersModule,
  ],
  controllers: [SendMmsController],
  providers: [
    SendMmsUseCase,
    DeliverMessageUseCase,
    SendReplyUseCase,
    SendAttemptsUseCase,
    SendRetryPolicy,
    RecordSendFailureUseCase,
  ],
  exports: [SendReplyUseCase, DeliverMessageUseCase],
})
export class SendModule {}
