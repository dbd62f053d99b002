import { StatusChange } from '../message-log/message-log.repository';
import { ProviderAcceptance } from '../plivo/messaging-provider';
import { SendMmsResponseDto } from './dto/send-mms-response.dto';

/** The 202 body of an accepted send (also rebuilt from the log for a lapsed Idempotency-Key). */
export function acceptedResponse(
  messageId: string,
  acceptance: ProviderAcceptance,
  channel: 'mms' | 'sms',
  fallbackReason?: string,
): SendMmsResponseDto {
  return {
    message: 'MMS sending request accepted.',
    messageId,
    status: 'queued',
    plivoResponse: acceptance,
    channel,
    ...(channel === 'sms' && fallbackReason ? { fallbackReason } : {}),
  };
}

/** The 202 body of a message the gateway holds: scheduled for sendAt, expiring at validUntil. */
export function scheduledResponse(
  messageId: string,
  sendAt: Date,
  validUntil: Date,
  plan: { channel: 'mms' | 'sms'; fallbackReason?: string },
): SendMmsResponseDto {
  return {
    message: 'MMS scheduled.',
    messageId,
    status: 'scheduled',
    sendAt: sendAt.toISOString(),
    validUntil: validUntil.toISOString(),
    channel: plan.channel,
    ...(plan.channel === 'sms' && plan.fallbackReason
      ? { fallbackReason: plan.fallbackReason }
      : {}),
  };
}

/** The log's change once Plivo accepted a message: `queued`, with Plivo's ids and the attempt. */
export function acceptedChange(acceptance: ProviderAcceptance, durationMs: number): StatusChange {
  return {
    status: 'queued',
    source: 'plivo-response',
    set: { plivoMessageUuid: acceptance.messageUuid[0], plivoApiId: acceptance.apiId },
    attempt: { at: new Date(), outcome: 'ok', httpStatus: 202, durationMs },
  };
}
