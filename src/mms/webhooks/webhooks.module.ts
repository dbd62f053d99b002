import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AuthModule } from '../../auth/auth.module';
import { MetricsModule } from '../../metrics/metrics.module';
import { MessageLogModule } from '../message-log/message-log.module';
import { OptOutsModule } from '../opt-outs/opt-outs.module';
import { SendModule } from '../send/send.module';
import { UnsignedWebhookThrottle } from '../../throttling/unsigned-webhook-throttle';
import { InboundKeywordsService } from './inbound-keywords.service';
import { InboundMessagesService } from './inbound-messages.service';
import { PlivoWebhooksController } from './plivo-webhooks.controller';
import { StatusCallbacksService } from './status-callbacks.service';
import { UnmatchedCallback, UnmatchedCallbackSchema } from './unmatched-callback.schema';

/**
 * Plivo's signed callbacks: message statuses and inbound messages, applied to the log; STOP,
 * START, HELP and error 200 applied to the opt-out list, replies sent through the send path.
 */
@Module({
  imports: [
    // WebhookThrottlerGuard shares the client guard's buckets and headers (ApiKeyVerifier).
    AuthModule,
    MessageLogModule,
    MetricsModule,
    OptOutsModule,
    SendModule,
    MongooseModule.forFeature([{ name: UnmatchedCallback.name, schema: UnmatchedCallbackSchema }]),
  ],
  controllers: [PlivoWebhooksController],
  // UnsignedWebhookThrottle: PlivoSignatureGuard counts the requests it refuses there.
  providers: [
    StatusCallbacksService,
    InboundMessagesService,
    InboundKeywordsService,
    UnsignedWebhookThrottle,
  ],
})
export class WebhooksModule {}
