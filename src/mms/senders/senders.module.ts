import { Module } from '@nestjs/common';
import { MetricsModule } from '../../metrics/metrics.module';
import { MessageLogModule } from '../message-log/message-log.module';
import { PacingModule } from '../pacing/pacing.module';
import { SenderActivityRepository } from './sender-activity.repository';
import { SenderChooser } from './sender-chooser';
import { SendersController } from './senders.controller';
import { ListSendersUseCase } from './usecases/list-senders/list-senders.usecase';

/**
 * Sender pools: which number a send goes from (SenderChooser: requested, sticky, area code,
 * soonest under pacing), GET /senders, and the held backlog per number.
 */
@Module({
  imports: [MessageLogModule, PacingModule, MetricsModule],
  controllers: [SendersController],
  providers: [SenderActivityRepository, SenderChooser, ListSendersUseCase],
  exports: [SenderChooser, SenderActivityRepository],
})
export class SendersModule {}
