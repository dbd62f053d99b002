/**
 * Plivo's outbound queue, as the simulator models it when rates are set (off by default): an
 * accepted message leaves the queue ("sent", handed to the carrier) at the next free slot of its
 * account's bucket for its type and of its source number's bucket; one still queued when its
 * expiry comes fails with error 420 instead, and takes no slot.
 *
 * What Plivo documents:
 * - an account sends 5 SMS/s and 0.25 MMS/s by default; a US toll-free number 2 MMS/s; a 10DLC
 *   number 50 MMS/min per carrier; what exceeds the rate is queued per source number, not
 *   rejected (the API still answers 202):
 *   https://support.plivo.com/hc/en-us/sections/360008203752-General,
 *   https://www.plivo.com/docs/faq/messaging/messaging-api
 * - a message still queued after 3 hours fails with error 420 and is not charged:
 *   https://www.plivo.com/docs/messaging/troubleshooting/error-codes
 * - the send parameter `message_expiry` (seconds, 5 to 10,799) shortens that for one message:
 *   https://www.plivo.com/docs/messaging/api/message/send-a-message
 *
 * Pure arithmetic on times (ms since the epoch), so it is tested without clocks; the simulator
 * runs the timers.
 */

export interface RateLimits {
  /** Messages per second per account and type (Plivo's defaults: 0.25 MMS/s, 5 SMS/s). */
  accountMmsPerSecond?: number;
  accountSmsPerSecond?: number;
  /** Messages per second per source number and type (a US toll-free number: 2 MMS/s). */
  senderMmsPerSecond?: number;
  senderSmsPerSecond?: number;
  /** How long a message may wait in the queue before it fails with 420 (default 3 h). */
  queueExpiryMs?: number;
}

/** Plivo's documented figures, for tests and the sandbox to start from. */
export const PLIVO_RATES = {
  accountMmsPerSecond: 0.25,
  accountSmsPerSecond: 5,
  tollFreeMmsPerSecond: 2,
  tenDlcMmsPerSecondPerCarrier: 50 / 60,
  queueExpiryMs: 3 * 60 * 60 * 1000,
} as const;

/** Plivo's error code for a message that expired in its queue. */
export const QUEUE_EXPIRED_ERROR = '420';
export const MESSAGE_EXPIRY_SECONDS = { min: 5, max: 10_799 } as const;

export interface QueuedMessage {
  type: string;
  src: string;
  acceptedAt: number;
  /** The request's `message_expiry`, in seconds. */
  messageExpirySeconds?: number;
}

/** When the message leaves the queue, and how: sent at its slot, or failed 420 at its expiry. */
export type Departure = { outcome: 'sent'; at: number } | { outcome: 'expired'; at: number };

const RATE_FIELDS = [
  'accountMmsPerSecond',
  'accountSmsPerSecond',
  'senderMmsPerSecond',
  'senderSmsPerSecond',
] as const;

/** A rates object from a control request: an error message, or the limits (null: rates off). */
export function parseRateLimits(
  body: unknown,
): { ok: true; limits: RateLimits | null } | { ok: false; error: string } {
  if (body === null || body === undefined) return { ok: true, limits: null };
  if (typeof body !== 'object' || Array.isArray(body))
    return { ok: false, error: 'expected a JSON object of rates, or null to turn them off' };
  const limits: RateLimits = {};
  for (const [key, value] of Object.entries(body)) {
    if (value === null || value === undefined) continue;
    const isField = (RATE_FIELDS as readonly string[]).includes(key) || key === 'queueExpiryMs';
    if (!isField)
      return {
        ok: false,
        error: `unknown rate ${key}; expected ${[...RATE_FIELDS, 'queueExpiryMs'].join(', ')}`,
      };
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
      return { ok: false, error: `${key} must be a positive number` };
    limits[key as keyof RateLimits] = value;
  }
  return { ok: true, limits: Object.keys(limits).length > 0 ? limits : null };
}

/**
 * The account's buckets keep every slot they gave (pruned once past), so a message whose own
 * number is saturated does not hold back another number's message: the account rate is shared
 * by the per-number queues, the way Plivo serves them. A number's bucket only needs its next
 * free slot: its messages leave in order.
 */
export class RateQueue {
  private accountSlots = new Map<string, number[]>();
  private senderNext = new Map<string, number>();

  constructor(private limits: RateLimits | null = null) {}

  /** Rates on when any limit is set; off (null): every message leaves at once, as before. */
  get current(): RateLimits | null {
    return this.limits;
  }

  /** New limits (null: off); forgets every slot given so far. */
  set(limits: RateLimits | null): void {
    this.limits = limits;
    this.reset();
  }

  reset(): void {
    this.accountSlots.clear();
    this.senderNext.clear();
  }

  /** Where the message goes, now that it was accepted; undefined when rates are off. */
  admit(message: QueuedMessage, now = message.acceptedAt): Departure | undefined {
    if (!this.limits) return undefined;
    const accountInterval = intervalMs(this.limits, 'account', message.type);
    const senderInterval = intervalMs(this.limits, 'sender', message.type);
    const senderKey = `${message.type}:${message.src}`;
    const slots = this.accountSlots.get(message.type) ?? [];
    prune(slots, now - accountInterval);

    const earliest = Math.max(now, this.senderNext.get(senderKey) ?? -Infinity);
    const slot = accountInterval > 0 ? freeSlot(slots, earliest, accountInterval) : earliest;
    const expiryMs = Math.min(
      this.limits.queueExpiryMs ?? PLIVO_RATES.queueExpiryMs,
      message.messageExpirySeconds !== undefined ? message.messageExpirySeconds * 1000 : Infinity,
    );
    if (slot - message.acceptedAt > expiryMs)
      return { outcome: 'expired', at: message.acceptedAt + expiryMs };

    if (accountInterval > 0) {
      slots.splice(sortedIndex(slots, slot), 0, slot);
      this.accountSlots.set(message.type, slots);
    }
    if (senderInterval > 0) this.senderNext.set(senderKey, slot + senderInterval);
    return { outcome: 'sent', at: slot };
  }
}

/** 1/rate in ms for the bucket, 0 when that rate is not limited (or the type is not paced). */
function intervalMs(limits: RateLimits, scope: 'account' | 'sender', type: string): number {
  const perSecond =
    type === 'mms'
      ? limits[`${scope}MmsPerSecond`]
      : type === 'sms'
        ? limits[`${scope}SmsPerSecond`]
        : undefined; // WhatsApp has limits of its own, not modelled
  return perSecond ? 1000 / perSecond : 0;
}

/** The earliest time ≥ `from` at least `interval` away from every taken slot (sorted). */
function freeSlot(slots: number[], from: number, interval: number): number {
  let t = from;
  for (const taken of slots) {
    if (taken <= t - interval) continue;
    if (taken >= t + interval) break;
    t = taken + interval;
  }
  return t;
}

/** Drops slots at or before `before`: they can no longer collide with a new one. */
function prune(slots: number[], before: number): void {
  let n = 0;
  while (n < slots.length && slots[n] <= before) n++;
  slots.splice(0, n);
}

function sortedIndex(slots: number[], value: number): number {
  let lo = 0;
  let hi = slots.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (slots[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
