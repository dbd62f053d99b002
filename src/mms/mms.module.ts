import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { MessageLogRepository } from './message-log/message-log.repository';
import { MessagesController } from './messages/messages.controller';
import { MmsService } from './send/usecases/send-mms/send-mms.usecase';
import { MessagingProvider } from './plivo/messaging-provider';
import { PlivoService } from './plivo/plivo.service';
import { MessageLog, MessageLogSchema } from './message-log/message-log.schema';
import { SendMmsController } from './send/send-mms.controller';
import { SendRetryPolicy } from './send/usecases/send-attempts/send-retry-policy';
import { IdempotencyModule } from './send/idempotency/idempotency.module';
import { MediaPreflight } from './media/media-preflight';
import { MediaUrlPolicy } from './media/media-url-policy';
import { PlivoWebhooksController } from './webhooks/plivo-webhooks.controller';
import { StatusCallbacksService } from './webhooks/status-callbacks.service';
import { UnmatchedCallback, UnmatchedCallbackSchema } from './webhooks/unmatched-callback.schema';

@Module({
  imports: [
    IdempotencyModule,
    MongooseModule.forFeature([
      { name: MessageLog.name, schema: MessageLogSchema },
      { name: UnmatchedCallback.name, schema: UnmatchedCallbackSchema },
    ]),
  ],
  controllers: [SendMmsController, MessagesController, PlivoWebhooksController],
  providers: [
    MmsService,
    MessageLogRepository,
    SendRetryPolicy,
    MediaUrlPolicy,
    MediaPreflight,
    StatusCallbacksService,
    PlivoService,
    { provide: MessagingProvider, useExisting: PlivoService },
  ],
  exports: [MessageLogRepository, StatusCallbacksService],
})
export class MmsModule {}
