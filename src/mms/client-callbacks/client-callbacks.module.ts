import { Module } from '@nestjs/common';
import { MetricsModule } from '../../metrics/metrics.module';
import { MessageLogModule } from '../message-log/message-log.module';
import { CallbackAttempts } from './callback-attempts';
import { CallbackHttp } from './callback-http';
import { CallbackOutboxRepository } from './callback-outbox.repository';
import { CallbackTarget } from './callback-target';
import { CallbackWorker } from './callback-worker';

/**
 * Signed status callbacks to clients: the send path asks CallbackTarget where a message's events
 * go; message-log writes each event with its status change; CallbackWorker delivers them from
 * MongoDB on every replica (README "Status callbacks to your service").
 */
@Module({
  imports: [MessageLogModule, MetricsModule],
  providers: [
    CallbackAttempts,
    CallbackHttp,
    CallbackOutboxRepository,
    CallbackTarget,
    CallbackWorker,
  ],
  // CallbackHttp: a campaign's completion event goes out the same way (mms/campaigns).
  exports: [CallbackTarget, CallbackHttp],
})
export class ClientCallbacksModule {}
