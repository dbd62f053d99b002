import { mongo, Types } from 'mongoose';
import { MessageStatus, STATUS_RANK, StatusSource } from './message-status';
import { AttemptRecord, StatusHistoryEntry } from './message-log.schema';
import { appendCallbackEventStages } from './callback-outbox';
import { definedEntries, literal } from './pipeline';

/** One status change of a message, as the send path or a Plivo callback reports it. */
export interface StatusChange {
  status: MessageStatus;
  source: StatusSource;
  at?: Date;
  /** Identifies a Plivo event: a change whose key the log already holds changes nothing. */
  eventKey?: string;
  errorCode?: string;
  detail?: string;
  /** Top-level fields set whether or not the status moves (UUIDs). */
  set?: Record<string, unknown>;
  /** Merged into `delivery` whether or not the status moves (billing, carrier details). */
  delivery?: Record<string, string>;
  /** Fields set only when the status moves (errorCode/errorMessage of the new status). */
  setIfApplied?: Record<string, unknown>;
  attempt?: AttemptRecord;
  /** Fields removed when the status moves (the dispatch queue's, once a message leaves it). */
  unsetIfApplied?: string[];
  /** False: no status callback event (the hand-over from the gateway's queue to the send). */
  emitEvent?: boolean;
  /** The event's id as an expression of the document (one write over many messages). */
  eventId?: unknown;
}

/**
 * The status change as an update pipeline: `replay` and `forward` are computed from the stored
 * document inside the same atomic write that acts on them, then removed. A change that moves the
 * status also appends its status callback event (when the message has a callback URL) in that
 * same write: the outbox can neither miss a change nor hold one that was not applied.
 */
export function statusChangePipeline(
  change: StatusChange,
  changeId: Types.ObjectId,
): mongo.Document[] {
  const rank = STATUS_RANK[change.status];
  const entry: StatusHistoryEntry = {
    changeId,
    status: change.status,
    at: change.at ?? new Date(),
    source: change.source,
    applied: true,
    ...(change.errorCode ? { errorCode: change.errorCode } : {}),
    ...(change.detail ? { detail: change.detail } : {}),
  };
  const unlessReplay = (value: unknown, current: string) => ({
    $cond: ['$__replay', current, value],
  });
  const append = (field: string, items: unknown) =>
    unlessReplay({ $concatArrays: [{ $ifNull: [field, []] }, items] }, field);

  const fields: Record<string, unknown> = {
    status: { $cond: ['$__forward', change.status, '$status'] },
    statusRank: { $cond: ['$__forward', rank, '$statusRank'] },
    statusHistory: append('$statusHistory', [
      { $mergeObjects: [literal(entry), { applied: '$__forward' }] },
    ]),
    updatedAt: unlessReplay(literal(new Date()), '$updatedAt'),
  };
  // An undefined value sets nothing (a $literal would store null, which a unique index counts).
  for (const [key, value] of definedEntries(change.set))
    fields[key] = unlessReplay(literal(value), `$${key}`);
  for (const [key, value] of definedEntries(change.setIfApplied))
    fields[key] = { $cond: ['$__forward', literal(value), `$${key}`] };
  if (change.delivery)
    fields.delivery = unlessReplay(
      { $mergeObjects: [{ $ifNull: ['$delivery', {}] }, literal(change.delivery)] },
      '$delivery',
    );
  for (const key of change.unsetIfApplied ?? [])
    fields[key] = { $cond: ['$__forward', '$$REMOVE', `$${key}`] };
  if (change.eventKey) fields.eventKeys = append('$eventKeys', [literal(change.eventKey)]);
  if (change.attempt) {
    fields.attempts = unlessReplay({ $add: [{ $ifNull: ['$attempts', 0] }, 1] }, '$attempts');
    fields.attemptLog = append('$attemptLog', [literal(change.attempt)]);
  }
  return [
    {
      $set: {
        __previous: '$status',
        __replay: change.eventKey
          ? { $in: [literal(change.eventKey), { $ifNull: ['$eventKeys', []] }] }
          : false,
      },
    },
    { $set: { __forward: { $and: [{ $not: ['$__replay'] }, { $lt: ['$statusRank', rank] }] } } },
    { $set: fields },
    ...appendCallbackEventStages(change.emitEvent === false ? false : '$__forward', {
      occurredAt: entry.at,
      eventId: change.eventId,
      errorCode: (change.setIfApplied?.errorCode as string | undefined) ?? change.errorCode,
      errorMessage: (change.setIfApplied?.errorMessage as string | undefined) ?? change.detail,
    }),
    { $unset: ['__replay', '__forward'] },
  ];
}
