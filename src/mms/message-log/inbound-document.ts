import { receivedEventFields } from './callback-outbox';
import { STATUS_RANK } from './message-status';
import { NewInboundMessage } from './message-log.types';

/**
 * The message log document of an inbound message, `received`, readable by its owner, and with
 * the owner's `message.received` event already in the outbox (due now) when it has a URL.
 */
export function inboundDocument(message: NewInboundMessage, now: Date) {
  return {
    direction: 'inbound',
    ...(message.clientId ? { clientId: message.clientId } : {}),
    ...(message.keyword ? { keyword: message.keyword } : {}),
    ...(message.callbackUrl
      ? receivedEventFields(message.callbackUrl, {
          ...message,
          channel: message.type,
          plivoMessageUuid: message.messageUuid,
          receivedAt: now,
        })
      : {}),
    channel: message.type,
    sender: message.from,
    recipient: message.to,
    text: message.text,
    mediaUrls: message.mediaUrls,
    mediaIds: [],
    status: 'received',
    statusRank: STATUS_RANK.received,
    plivoMessageUuid: message.messageUuid,
    ...(message.errorCode && !/^0+$/.test(message.errorCode)
      ? { errorCode: message.errorCode }
      : {}),
    ...(message.mediaCount !== undefined
      ? { delivery: { MediaCount: String(message.mediaCount) } }
      : {}),
    statusHistory: [{ status: 'received', at: now, source: 'plivo-inbound', applied: true }],
  };
}
