import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { MetricsModule } from '../../metrics/metrics.module';
import { ClientCallbacksModule } from '../client-callbacks/client-callbacks.module';
import { MessageLogModule } from '../message-log/message-log.module';
import { PacingModule } from '../pacing/pacing.module';
import { Campaign, CampaignSchema } from './campaign.schema';
import { CampaignCompletionEvent } from './campaign-completion-event';
import { CampaignMonitor } from './campaign-monitor';
import { CampaignMonitorRepository } from './campaign-monitor.repository';
import { CampaignStateReader } from './campaign-state';

/**
 * The campaigns' side of delivery: the state the dispatcher reads of a message's campaign
 * (paused, canceled, its window and its cap), and the monitor that completes campaigns and
 * delivers their `campaign.completed` event.
 */
@Module({
  imports: [
    MongooseModule.forFeature([{ name: Campaign.name, schema: CampaignSchema }]),
    MessageLogModule,
    PacingModule,
    ClientCallbacksModule,
    MetricsModule,
  ],
  providers: [
    CampaignStateReader,
    CampaignMonitorRepository,
    CampaignCompletionEvent,
    CampaignMonitor,
  ],
  exports: [CampaignStateReader],
})
export class CampaignDispatchModule {}
