import { Inject, Injectable } from '@nestjs/common';
import { Client } from 'plivo';
import { LEAN_CONFIG, type LeanConfig } from './lean-config';

/** The Plivo SDK, one client built once, pointed at PLIVO_API_URL as the gateway does. */
@Injectable()
export class LeanPlivoSender {
  private readonly client: Client;
  private readonly sender: string;

  constructor(@Inject(LEAN_CONFIG) config: LeanConfig) {
    this.client = new Client(config.authId, config.authToken, {
      url: `${config.plivoApiUrl}/v1/Account/${config.authId}`,
      timeout: 15000,
    });
    this.sender = config.senderNumber;
  }

  get senderNumber(): string {
    return this.sender;
  }

  send(dst: string, text: string, mediaUrl: string) {
    // https://www.plivo.com/docs/messaging/api/message/send-a-message: type mms, media_urls.
    return this.client.messages.create(this.sender, dst, text, {
      type: 'mms',
      media_urls: [mediaUrl],
    });
  }
}
