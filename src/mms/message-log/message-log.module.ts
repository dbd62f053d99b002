import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { MessageLog, MessageLogSchema } from './message-log.schema';
import { MessageLogRepository } from './message-log.repository';
import { CampaignMessagesRepository } from './campaign-messages.repository';

/** Every message, outbound and inbound, with its status history; read and written only here. */
@Module({
  imports: [MongooseModule.forFeature([{ name: MessageLog.name, schema: MessageLogSchema }])],
  providers: [MessageLogRepository, CampaignMessagesRepository],
  // The model too: client-callbacks claims and settles the outbox the log's documents hold.
  exports: [MessageLogRepository, CampaignMessagesRepository, MongooseModule],
})
export class MessageLogModule {}
