import { Module } from '@nestjs/common';
import { MessageLogModule } from '../message-log/message-log.module';
import { MessagesController } from './messages.controller';
import { GetMessageUseCase } from './usecases/get-message/get-message.usecase';
import { ListMessagesUseCase } from './usecases/list-messages/list-messages.usecase';

/** GET /messages and GET /messages/{id}: the message log, read. */
@Module({
  imports: [MessageLogModule],
  controllers: [MessagesController],
  providers: [GetMessageUseCase, ListMessagesUseCase],
})
export class MessagesModule {}
