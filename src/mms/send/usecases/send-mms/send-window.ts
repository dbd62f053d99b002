import { BadRequestException } from '@nestjs/common';
import { VALIDITY_MAX_S } from '../../../../config/dispatch.config';

/** RFC 3339 date-time with a zone (Z or ±hh:mm): a time without one is refused, not guessed. */
export const RFC3339_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-](\d{2}):(\d{2}))$/;
/** How far ahead a message may be scheduled (Twilio's limit too). */
export const MAX_SCHEDULE_DAYS = 35;
const DAY_MS = 86_400_000;
/** Plivo's shortest message_expiry: a message with less validity could reach Plivo too late. */
const MIN_VALIDITY_S = 5;

/** When a message may go: `sendAt` only when it is in the future, and its validity's end. */
export interface SendWindow {
  sendAt?: Date;
  validUntil: Date;
}

/** A date-time the pattern accepts that is also a real date (no 30 February, no 25:00). */
export function parseDateTime(value: string): Date | undefined {
  const m = RFC3339_DATE_TIME.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  const local = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  const sameFields =
    local.getUTCFullYear() === y &&
    local.getUTCMonth() === mo - 1 &&
    local.getUTCDate() === d &&
    local.getUTCHours() === h &&
    local.getUTCMinutes() === mi &&
    local.getUTCSeconds() === s;
  const offsetOk = m[9] === undefined || (Number(m[9]) <= 23 && Number(m[10]) <= 59);
  const at = Date.parse(value);
  return sameFields && offsetOk && !Number.isNaN(at) ? new Date(at) : undefined;
}

/**
 * sendAt (in the past or now: now; at most 35 days ahead) and validUntil (after sendAt and not
 * past; default sendAt + SEND_VALIDITY_DEFAULT_S; at most sendAt + 72 h). 400 VALIDATION_FAILED
 * naming the field otherwise.
 */
export function sendWindowOf(
  input: { sendAt?: string; validUntil?: string },
  validityDefaultS: number,
  now = new Date(),
): SendWindow {
  const problems: { field: string; messages: string[] }[] = [];
  const fail = (field: string, message: string) => problems.push({ field, messages: [message] });
  const requested = input.sendAt === undefined ? undefined : parseDateTime(input.sendAt);
  if (input.sendAt !== undefined && !requested)
    fail('sendAt', 'sendAt must be an RFC 3339 date-time with a time zone (Z or ±hh:mm)');
  else if (requested && requested.getTime() > now.getTime() + MAX_SCHEDULE_DAYS * DAY_MS)
    fail('sendAt', `sendAt must be at most ${MAX_SCHEDULE_DAYS} days ahead`);
  const start = requested && requested > now ? requested : now;
  let validUntil = new Date(start.getTime() + validityDefaultS * 1000);
  if (input.validUntil !== undefined) {
    const given = parseDateTime(input.validUntil);
    if (!given)
      fail('validUntil', 'validUntil must be an RFC 3339 date-time with a time zone (Z or ±hh:mm)');
    else if (given <= now) fail('validUntil', 'validUntil must be in the future');
    else if (requested && given <= requested) fail('validUntil', 'validUntil must be after sendAt');
    else if (given.getTime() < start.getTime() + MIN_VALIDITY_S * 1000)
      fail(
        'validUntil',
        `validUntil must be at least ${MIN_VALIDITY_S} s after sendAt (or now): Plivo's shortest message_expiry`,
      );
    else if (given.getTime() > start.getTime() + VALIDITY_MAX_S * 1000)
      fail('validUntil', `validUntil must be at most ${VALIDITY_MAX_S / 3600} hours after sendAt`);
    else validUntil = given;
  }
  if (problems.length > 0)
    throw new BadRequestException({
      message: problems.map((p) => p.messages[0]).join('; '),
      code: 'VALIDATION_FAILED',
      errors: problems,
    });
  return { ...(start > now ? { sendAt: start } : {}), validUntil };
}
