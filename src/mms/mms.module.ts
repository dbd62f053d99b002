import { Module } from '@nestjs/common';
import { CampaignsModule } from './campaigns/campaigns.module';
import { DispatchModule } from './dispatch/dispatch.module';
import { MessagesModule } from './messages/messages.module';
import { OptOutsModule } from './opt-outs/opt-outs.module';
import { SendModule } from './send/send.module';
import { SendersModule } from './senders/senders.module';
import { WebhooksModule } from './webhooks/webhooks.module';

/**
 * The MMS feature: sending (send/), reading the log (messages/), Plivo's callbacks (webhooks/)
 * and the opt-out list (opt-outs/, also checked by send/ and fed by webhooks/), the sender
 * pools (senders/: the choice of a sender, GET /senders), built on the
 * Plivo adapter (plivo/), the message log (message-log/) and the media checks (media/); the
 * reconciler of messages left pending (dispatch/); campaigns (campaigns/). It exports nothing: the app only mounts its
 * routes.
 */
@Module({
  imports: [
    SendModule,
    MessagesModule,
    WebhooksModule,
    OptOutsModule,
    DispatchModule,
    SendersModule,
    CampaignsModule,
  ],
})
export class MmsModule {}
