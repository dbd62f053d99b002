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
