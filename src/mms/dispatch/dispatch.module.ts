import { Module } from '@nestjs/common';
import { CampaignDispatchModule } from '../campaigns/campaign-dispatch.module';
import { MediaModule } from '../media/media.module';
import { MessageLogModule } from '../message-log/message-log.module';
import { MetricsModule } from '../../metrics/metrics.module';
import { OptOutsModule } from '../opt-outs/opt-outs.module';
import { PacingModule } from '../pacing/pacing.module';
import { SendModule } from '../send/send.module';
import { SendersModule } from '../senders/senders.module';
import { CancelMessageController } from './cancel-message.controller';
import { DispatchQueueRepository } from './dispatch-queue.repository';
import { DispatchWorker } from './dispatch-worker';
import { PendingReconciler } from './pending-reconciler';
import { CancelMessageUseCase } from './usecases/cancel-message/cancel-message.usecase';
import { CampaignGate } from './usecases/dispatch-message/campaign-gate';
import { DispatchMessageUseCase } from './usecases/dispatch-message/dispatch-message.usecase';

/**
 * The gateway's own queue: messages held until their sendAt or pacing slot, dispatched on every
 * replica under leases, canceled by their client, expired past their validUntil; and the
 * reconciler of messages a stopped request or dispatcher left `pending`.
 */
@Module({
  imports: [
    MessageLogModule,
    SendModule,
    SendersModule,
    PacingModule,
    OptOutsModule,
    MediaModule,
    MetricsModule,
    CampaignDispatchModule,
  ],
  controllers: [CancelMessageController],
  providers: [
    DispatchQueueRepository,
    DispatchWorker,
    DispatchMessageUseCase,
    CampaignGate,
    CancelMessageUseCase,
    PendingReconciler,
  ],
})
export class DispatchModule {}
