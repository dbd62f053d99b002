import { Module } from '@nestjs/common';
import { MetricsModule } from '../../metrics/metrics.module';
import { MessagingProvider } from './messaging-provider';
import { PlivoService } from './plivo.service';

/** Plivo behind the MessagingProvider port: the send path sees the port, never the SDK. */
@Module({
  imports: [MetricsModule],
  providers: [PlivoService, { provide: MessagingProvider, useExisting: PlivoService }],
  exports: [MessagingProvider],
})
export class PlivoModule {}
