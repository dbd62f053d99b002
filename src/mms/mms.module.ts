import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { MessageLogRepository } from './message-log.repository';
import { MessagesController } from './messages.controller';
import { MmsService } from './mms.service';
import { MessagingProvider } from './plivo/messaging-provider';
import { PlivoService } from './plivo/plivo.service';
import { MessageLog, MessageLogSchema } from './schemas/message-log.schema';
import { SendMmsController } from './send-mms.controller';
import { SendRetryPolicy } from './send-retry-policy';

@Module({
  imports: [MongooseModule.forFeature([{ name: MessageLog.name, schema: MessageLogSchema }])],
  controllers: [SendMmsController, MessagesController],
  providers: [
    MmsService,
    MessageLogRepository,
    SendRetryPolicy,
    PlivoService,
    { provide: MessagingProvider, useExisting: PlivoService },
  ],
  exports: [MessageLogRepository],
})
export class MmsModule {}
