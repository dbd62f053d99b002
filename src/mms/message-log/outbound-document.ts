import { Types } from 'mongoose';
import { callbackHostOf } from './callback-outbox';
import { STATUS_RANK } from './message-status';
import { NewOutboundMessage, Schedule } from './message-log.types';

/**
 * The complete message log document of an outbound message, `pending` (or `scheduled`, held
 * until its schedule), as Mongoose would have written it from MessageLogSchema: its defaults
 * (empty lists, no attempts), its timestamps, no version key, and no field whose value is
 * undefined. Inserted as is through the driver: the send path's insert skips Mongoose's
 * document path (casting, defaults, validation, hydration), so every field here is already of
 * the schema's type (outbound-document.spec.ts holds it to what Mongoose writes). A field left
 * undefined is not stored (the insert's `ignoreUndefined`), as Mongoose stores nothing for it.
 */
export function outboundDocument(
  input: NewOutboundMessage,
  schedule: Schedule | undefined,
  now: Date,
) {
  const status = schedule ? 'scheduled' : 'pending';
  return {
    _id: input._id ?? new Types.ObjectId(),
    direction: 'outbound',
    clientId: input.clientId,
    channel: input.channel,
    sender: input.sender,
    senderChoice: input.senderChoice,
    recipient: input.recipient,
    text: input.text,
    fallbackReason: input.fallbackReason,
    reason: input.reason,
    mediaUrls: input.mediaUrls,
    mediaIds: input.mediaIds,
    status,
    statusRank: STATUS_RANK[status],
    attempts: 0,
    attemptLog: [],
    statusHistory: [{ status, at: now, source: 'api', applied: true }],
    eventKeys: [],
    statusCallbackUrl: input.statusCallbackUrl,
    callbackHost: input.statusCallbackUrl ? callbackHostOf(input.statusCallbackUrl) : undefined,
    sendAt: schedule?.sendAt,
    slotAt: schedule?.slotAt,
    dispatchDueAt: schedule ? (schedule.slotAt ?? schedule.sendAt) : undefined,
    validUntil: input.validUntil,
    fallbackToSms: input.fallbackToSms,
    createdAt: now,
    updatedAt: now,
  };
}
