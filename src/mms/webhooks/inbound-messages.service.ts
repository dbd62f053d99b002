import { Injectable } from '@nestjs/common';
import { MetricsService } from '../../metrics/metrics.service';
import { MessageLogRepository, NewInboundMessage } from '../message-log/message-log.repository';

/** Inbound messages (Plivo's `message_url` webhook), stored in the message log. */
@Injectable()
export class InboundMessagesService {
  constructor(
    private readonly logs: MessageLogRepository,
    private readonly metrics: MetricsService,
  ) {}

  /** Stored once per MessageUUID (Plivo retries unanswered webhooks). */
  async store(message: NewInboundMessage): Promise<'stored' | 'duplicate'> {
    const result = await this.logs.createInbound(message);
    this.metrics.webhookEvents.inc({ kind: 'inbound', status: 'received', verdict: 'accepted' });
    return result;
  }
}
