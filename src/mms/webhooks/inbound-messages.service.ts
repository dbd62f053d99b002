import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AllConfig } from '../../config/config.type';
import { MetricsService } from '../../metrics/metrics.service';
import { MessageLogRepository, NewInboundMessage } from '../message-log/message-log.repository';

/** Inbound messages (Plivo's `message_url` webhook), stored in the message log. */
@Injectable()
export class InboundMessagesService {
  /** Receiving number → the client that may read its inbound messages (INBOUND_CLIENTS). */
  private readonly readers: Record<string, string>;

  constructor(
    private readonly logs: MessageLogRepository,
    private readonly metrics: MetricsService,
    config: ConfigService<AllConfig, true>,
  ) {
    this.readers = config.get('clients', { infer: true }).inboundClients;
  }

  /**
   * Stored once per MessageUUID (Plivo retries unanswered webhooks), readable by the client
   * named for its receiving number, if any (admin keys read all).
   */
  async store(message: NewInboundMessage): Promise<'stored' | 'duplicate'> {
    const clientId = Object.hasOwn(this.readers, message.to) ? this.readers[message.to] : undefined;
    const result = await this.logs.createInbound({ ...message, clientId });
    this.metrics.webhookEvents.inc({ kind: 'inbound', status: 'received', verdict: 'accepted' });
    return result;
  }
}
