/**
 * The message lifecycle and its ordering. A status only ever moves to a higher rank, so a
 * late or replayed callback (Plivo retries, and callbacks race each other across replicas)
 * can add to the history but never move a message backwards. Terminal states share the top
 * rank: once delivered, undelivered, failed, rejected or read, a message stays so.
 */
export const MESSAGE_STATUSES = [
  'scheduled', // held by the gateway's dispatch queue until its sendAt (or its pacing slot)
  'pending', // logged, being handed to Plivo, Plivo not yet answered
  'unknown', // Plivo's answer was lost (timeout, reset, 504): it may or may not have queued it
  'queued',
  'sent',
  'received', // inbound messages
  'delivered',
  'undelivered',
  'failed',
  'rejected',
  'read',
  'canceled', // taken back by its client while still scheduled: never sent
  'expired', // not handed to Plivo by its validUntil: never sent
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export const STATUS_RANK: Record<MessageStatus, number> = {
  // Below pending (0) so that existing documents keep their ranks.
  scheduled: -1,
  pending: 0,
  unknown: 1,
  queued: 2,
  sent: 3,
  received: 3,
  delivered: 4,
  undelivered: 4,
  failed: 4,
  rejected: 4,
  read: 4,
  canceled: 4,
  expired: 4,
};

export function isMessageStatus(value: unknown): value is MessageStatus {
  return typeof value === 'string' && (MESSAGE_STATUSES as readonly string[]).includes(value);
}

/** Who wrote a status history entry (the API: a client's cancel or the send path's own). */
export const STATUS_SOURCES = [
  'api',
  'dispatcher',
  'plivo-response',
  'plivo-callback',
  'plivo-inbound',
] as const;
export type StatusSource = (typeof STATUS_SOURCES)[number];
