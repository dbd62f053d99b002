import { createHmac } from 'node:crypto';

/** The headers every status callback to a client carries (docs/status-callbacks.md). */
export const SIGNATURE_HEADER = 'X-Mms-Signature';
export const EVENT_ID_HEADER = 'X-Mms-Event-Id';

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, one `v1=` per secret
 * (STATUS_CALLBACK_SECRET lists several while a secret is rotated: the client accepts the
 * request when any v1 matches a secret it knows). The scheme is Stripe's: the timestamp is
 * signed with the body, so a captured request cannot be replayed after the client's tolerance.
 */
export function signCallback(
  rawBody: string,
  secrets: readonly string[],
  unixSeconds: number,
): string {
  const t = Math.floor(unixSeconds);
  const signatures = secrets.map(
    (secret) =>
      `v1=${createHmac('sha256', secret).update(`${t}.${rawBody}`, 'utf8').digest('hex')}`,
  );
  return [`t=${t}`, ...signatures].join(',');
}
