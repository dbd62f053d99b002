import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { MetricsModule } from '../../metrics/metrics.module';
import { ClientCallbacksModule } from '../client-callbacks/client-callbacks.module';
import { MediaModule } from '../media/media.module';
import { MessageLogModule } from '../message-log/message-log.module';
import { OptOutsModule } from '../opt-outs/opt-outs.module';
import { IdempotencyModule } from '../send/idempotency/idempotency.module';
import { CampaignControlController } from './campaign-control.controller';
import { Campaign, CampaignSchema } from './campaign.schema';
import { CampaignsController } from './campaigns.controller';
import { CampaignsRepository } from './campaigns.repository';
import { CampaignProgressUseCase } from './usecases/campaign-progress/campaign-progress.usecase';
import { CampaignPlanner } from './usecases/create-campaign/campaign-plan';
import { CreateCampaignUseCase } from './usecases/create-campaign/create-campaign.usecase';
import { ControlCampaignUseCase } from './usecases/control-campaign/control-campaign.usecase';

/**
 * POST /campaigns and its control and progress routes: bulk creation of ordinary held messages
 * (sent by dispatch/, which reads the campaign through CampaignsRepository).
 */
@Module({
  imports: [
    MessageLogModule,
    MediaModule,
    OptOutsModule,
    ClientCallbacksModule,
    IdempotencyModule,
    MetricsModule,
    MongooseModule.forFeature([{ name: Campaign.name, schema: CampaignSchema }]),
  ],
  controllers: [CampaignsController, CampaignControlController],
  providers: [
    CampaignsRepository,
    CampaignPlanner,
    CreateCampaignUseCase,
    CampaignProgressUseCase,
    ControlCampaignUseCase,
  ],
  exports: [CampaignsRepository],
})
export class CampaignsModule {}
