import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { MetricsModule } from '../../metrics/metrics.module';
import { MessageLogModule } from '../message-log/message-log.module';
import { InboundMessagesService } from './inbound-messages.service';
import { PlivoWebhooksController } from './plivo-webhooks.controller';
import { StatusCallbacksService } from './status-callbacks.service';
import { UnmatchedCallback, UnmatchedCallbackSchema } from './unmatched-callback.schema';

/** Plivo's signed callbacks: message statuses and inbound messages, applied to the log. */
@Module({
  imports: [
    MessageLogModule,
    MetricsModule,
    MongooseModule.forFeature([{ name: UnmatchedCallback.name, schema: UnmatchedCallbackSchema }]),
  ],
  controllers: [PlivoWebhooksController],
  providers: [StatusCallbacksService, InboundMessagesService],
})
export class WebhooksModule {}
