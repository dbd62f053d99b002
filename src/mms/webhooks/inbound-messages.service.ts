import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AllConfig } from '../../config/config.type';
import { MetricsService } from '../../metrics/metrics.service';
import { MessageLogRepository } from '../message-log/message-log.repository';
import { InboundKeywordsService } from './inbound-keywords.service';
import { InboundWebhook } from './plivo-callback';

/** Inbound messages (Plivo's `message_url` webhook), stored in the message log. */
@Injectable()
export class InboundMessagesService {
  /** Receiving number → the client that may read its inbound messages (INBOUND_CLIENTS). */
  private readonly readers: Record<string, string>;

  constructor(
    private readonly logs: MessageLogRepository,
    private readonly metrics: MetricsService,
    private readonly keywords: InboundKeywordsService,
    config: ConfigService<AllConfig, true>,
  ) {
    this.readers = config.get('clients', { infer: true }).inboundClients;
  }

  /**
   * Stored once per MessageUUID (Plivo retries unanswered webhooks), readable by the client
   * named for its receiving number, if any (admin keys read all). A STOP/START acts on the
   * opt-out list first, once per MessageUUID whatever it changed (a retry after a failure
   * completes it; a retry or replay after that changes nothing, even after a later keyword); the
   * reply goes out only for the delivery that stored it,
   * and for STOP/START only when this MessageUUID made the current state (so a retry after the
   * change succeeded but the storing failed still sends the one confirmation).
   */
  async store(message: InboundWebhook): Promise<'stored' | 'duplicate'> {
    const clientId = Object.hasOwn(this.readers, message.to) ? this.readers[message.to] : undefined;
    const kind = this.keywords.classify(message);
    const applied = kind ? await this.keywords.act(kind, message) : false;
    const result = await this.logs.createInbound({ ...message, clientId });
    this.metrics.webhookEvents.inc({ kind: 'inbound', status: 'received', verdict: 'accepted' });
    if (kind && result === 'stored') this.keywords.reply(kind, message, applied, clientId);
    return result;
  }
}
