import { Module } from '@nestjs/common';
import { MetricsModule } from '../../metrics/metrics.module';
import { MessageLogModule } from '../message-log/message-log.module';
import { PendingReconciler } from './pending-reconciler';

/**
 * Work on the message log apart from any request, on every replica: today the reconciler of
 * messages a stopped request left `pending`.
 */
@Module({
  imports: [MessageLogModule, MetricsModule],
  providers: [PendingReconciler],
})
export class DispatchModule {}
