import { PlivoFailure } from './plivo-failure';

export interface OutboundMessage {
  src: string;
  dst: string;
  text: string;
  type: 'mms' | 'sms';
  mediaUrls: string[];
  mediaIds: string[];
  /** Where Plivo posts status callbacks for this message. */
  callbackUrl: string;
  /** Plivo's message_expiry: fail (error 420) rather than send after this many seconds. */
  messageExpirySeconds?: number;
}

export interface ProviderAcceptance {
  messageUuid: string[];
  apiId: string;
  message: string;
}

/** Thrown by a provider for every failed send, already classified. */
export class ProviderSendError extends Error {
  constructor(readonly failure: PlivoFailure) {
    super(failure.reason);
    this.name = 'ProviderSendError';
  }
}

/**
 * The port the send path talks to. An abstract class so it is both the interface and the DI
 * token: unit tests swap in a fake, production binds PlivoService.
 */
export abstract class MessagingProvider {
  abstract send(message: OutboundMessage): Promise<ProviderAcceptance>;
}
