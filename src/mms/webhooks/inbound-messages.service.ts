import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AllConfig } from '../../config/config.type';
import { MetricsService } from '../../metrics/metrics.service';
import { InboundKeyword } from '../message-log/callback-event.schema';
import { MessageLogRepository } from '../message-log/message-log.repository';
import { KeywordKind } from '../opt-outs/keywords';
import { InboundKeywordsService } from './inbound-keywords.service';
import { InboundWebhook } from './plivo-callback';

/** Inbound messages (Plivo's `message_url` webhook), stored in the message log. */
@Injectable()
export class InboundMessagesService {
  /** Receiving number → its owner: INBOUND_CLIENTS, over the SENDER_NUMBERS pool holding it. */
  private readonly owners: Record<string, string>;
  /** Owner → where its message.received events go (INBOUND_CALLBACK_URLS). */
  private readonly callbackUrls: Record<string, string>;

  constructor(
    private readonly logs: MessageLogRepository,
    private readonly metrics: MetricsService,
    private readonly keywords: InboundKeywordsService,
    config: ConfigService<AllConfig, true>,
  ) {
    const senders = config.get('senders', { infer: true });
    // The shared PLIVO_SENDER_NUMBER is in no pool: its messages have no owner (admins only)
    // unless INBOUND_CLIENTS names one.
    this.owners = { ...senders.owners, ...config.get('clients', { infer: true }).inboundClients };
    this.callbackUrls = senders.inboundCallbackUrls;
  }

  /**
   * Stored once per MessageUUID (Plivo retries unanswered webhooks), readable by the owner of its
   * receiving number, if any (admin keys read all), with the owner's `message.received` event in
   * the same insert when it has an INBOUND_CALLBACK_URLS entry. A STOP/START acts on the opt-out
   * list first, once per MessageUUID whatever it changed (a retry after a failure completes it; a
   * retry or replay after that changes nothing, even after a later keyword), so its effect is
   * stored with the message; the reply goes out only for the delivery that stored it, and for
   * STOP/START only when this MessageUUID made the current state (so a retry after the change
   * succeeded but the storing failed still sends the one confirmation).
   */
  async store(message: InboundWebhook): Promise<'stored' | 'duplicate'> {
    const clientId = Object.hasOwn(this.owners, message.to) ? this.owners[message.to] : undefined;
    const callbackUrl =
      clientId && Object.hasOwn(this.callbackUrls, clientId)
        ? this.callbackUrls[clientId]
        : undefined;
    const kind = this.keywords.classify(message);
    const applied = kind ? await this.keywords.act(kind, message) : false;
    const keyword = kind ? keywordEffect(kind, applied) : undefined;
    const result = await this.logs.createInbound({ ...message, clientId, keyword, callbackUrl });
    this.metrics.webhookEvents.inc({ kind: 'inbound', status: 'received', verdict: 'accepted' });
    if (kind && result === 'stored') this.keywords.reply(kind, message, applied, clientId);
    return result;
  }
}

/** `applied`: this message made the list's current state (InboundKeywordsService.act). */
function keywordEffect(kind: KeywordKind, applied: boolean): InboundKeyword {
  if (kind === 'opt-out' && applied) return { kind, effect: 'opted-out' };
  if (kind === 'opt-in' && applied) return { kind, effect: 'opted-in' };
  return { kind, effect: 'unchanged' };
}
