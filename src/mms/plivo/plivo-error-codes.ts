/**
 * Plivo's message error codes (plivo.com/docs/messaging/troubleshooting/error-codes), stored
 * next to the code on failed messages.
 */
export const PLIVO_ERROR_CODES: Record<string, string> = {
  '000': 'OK',
  '10': 'Invalid message',
  '20': 'Network error',
  '30': 'Spam detected',
  '40': 'Invalid source number',
  '50': 'Invalid destination number',
  '60': 'Loop detected',
  '70': 'Destination permanently unavailable',
  '80': 'Destination temporarily unavailable',
  '90': 'No route available',
  '100': 'Prohibited by carrier',
  '110': 'Message too long',
  '120': 'MMS message payload size exceeded',
  '200': 'Destination number opted out (STOP)',
  '201': 'US toll-free to Canada is blocked',
  '420': 'Message expired after 3 hours in queue',
  '900': 'Insufficient credit',
  '1000': 'Unknown error',
};

export function describePlivoErrorCode(code: string): string {
  return (
    PLIVO_ERROR_CODES[code] ?? PLIVO_ERROR_CODES[String(Number(code))] ?? `Plivo error ${code}`
  );
}

export const isSuccessCode = (code: string | undefined): boolean => !code || /^0+$/.test(code);
