import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Client } from 'plivo';
import { AllConfig } from '../../config/config.type';
import { MetricsService } from '../../metrics/metrics.service';
import {
  MessagingProvider,
  OutboundMessage,
  ProviderAcceptance,
  ProviderSendError,
} from './messaging-provider';
import { classifyPlivoFailure } from './plivo-failure';
import { keepSdkSocketsAlive } from './sdk-http-agent';

/** The only code that talks to the Plivo SDK. One client, built once from config. */
@Injectable()
export class PlivoService extends MessagingProvider {
  private readonly client: Client;

  constructor(
    config: ConfigService<AllConfig, true>,
    private readonly metrics: MetricsService,
  ) {
    super();
    const plivo = config.get('plivo', { infer: true });
    // The SDK sets no timeout of its own: without one a hung Plivo holds the request forever.
    this.client = new Client(plivo.authId, plivo.authToken, {
      url: `${plivo.apiUrl}/v1/Account/${plivo.authId}`,
      timeout: plivo.timeoutMs,
    });
    keepSdkSocketsAlive();
  }

  async send(message: OutboundMessage): Promise<ProviderAcceptance> {
    // A fresh object each call: the SDK mutates optionalParams (adds src/dst/text to it).
    const params: Record<string, unknown> = {
      type: message.type,
      url: message.callbackUrl,
      method: 'POST',
    };
    if (message.mediaUrls.length > 0) params.media_urls = message.mediaUrls;
    if (message.mediaIds.length > 0) params.media_ids = message.mediaIds;
    // 5-10,799 s: https://www.plivo.com/docs/messaging/api/message/send-a-message
    if (message.messageExpirySeconds !== undefined)
      params.message_expiry = message.messageExpirySeconds;
    const timer = this.metrics.plivoCalls.startTimer();
    try {
      const response = await this.client.messages.create(
        message.src,
        message.dst,
        message.text,
        params,
      );
      timer({ outcome: 'ok' });
      return {
        messageUuid: response.messageUuid,
        apiId: response.apiId,
        message: response.message,
      };
    } catch (error) {
      const failure = classifyPlivoFailure(error);
      timer({ outcome: failure.kind });
      throw new ProviderSendError(failure);
    }
  }
}
