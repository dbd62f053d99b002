/**
 * The status callback outbox as the bench sees it in MongoDB: what the events of some messages
 * are (by state, attempts, and against the status changes that should have made them), and
 * messages seeded with pending events, in the shape message-log writes them
 * (src/mms/message-log/callback-outbox.ts, callback-event.schema.ts).
 */
import { performance } from 'node:perf_hooks';
import mongoose from 'mongoose';
import { COLLECTION, seedMessages, type SeedResult } from './seed';

const { MongoClient, ObjectId } = mongoose.mongo;

export interface OutboxCounts {
  messages: number;
  /** Messages a worker can still claim (callbackDueAt or callbackRetryAt set). */
  due: number;
  /** Status changes that moved the status (applied, after `pending`): one event each. */
  appliedChanges: number;
  events: number;
  pending: number;
  delivered: number;
  stopped: number;
  abandoned: number;
  /** Delivery attempts recorded on the events. */
  attempts: number;
}

const STATES = ['pending', 'delivered', 'stopped', 'abandoned'] as const;

/** Counts the outbox of the messages whose statusCallbackUrl is `url`. */
export async function outboxCounts(uri: string, url: string): Promise<OutboxCounts> {
  const client = await MongoClient.connect(uri);
  try {
    const sizeOf = (input: unknown, cond: unknown) => ({ $size: { $filter: { input, cond } } });
    const events = { $ifNull: ['$callbackEvents', []] };
    const perState = Object.fromEntries(
      STATES.map((s) => [s, sizeOf(events, { $eq: ['$$this.state', s] })]),
    );
    const [row] = await client
      .db()
      .collection(COLLECTION)
      .aggregate([
        { $match: { statusCallbackUrl: url } },
        {
          $project: {
            due: {
              $cond: [{ $gt: [{ $ifNull: ['$callbackDueAt', '$callbackRetryAt'] }, null] }, 1, 0],
            },
            appliedChanges: sizeOf('$statusHistory', {
              $and: [{ $eq: ['$$this.applied', true] }, { $ne: ['$$this.status', 'pending'] }],
            }),
            events: { $size: events },
            // $reduce, not $sum of '$callbackEvents.attempts': the SecantusDB stand-in answers 0.
            attempts: {
              $reduce: {
                input: events,
                initialValue: 0,
                in: { $add: ['$$value', { $ifNull: ['$$this.attempts', 0] }] },
              },
            },
            ...perState,
          },
        },
        {
          $group: {
            _id: null,
            messages: { $sum: 1 },
            ...Object.fromEntries(
              ['due', 'appliedChanges', 'events', 'attempts', ...STATES].map((k) => [
                k,
                { $sum: `$${k}` },
              ]),
            ),
          },
        },
      ])
      .toArray();
    const zero: OutboxCounts = {
      messages: 0,
      due: 0,
      appliedChanges: 0,
      events: 0,
      pending: 0,
      delivered: 0,
      stopped: 0,
      abandoned: 0,
      attempts: 0,
    };
    if (!row) return zero;
    return Object.fromEntries(
      Object.keys(zero).map((k) => [k, Number(row[k] ?? 0)]),
    ) as unknown as OutboxCounts;
  } finally {
    await client.close();
  }
}

/**
 * Times the read half of a worker's claim (the first due first try on the callbackDueAt index,
 * src/mms/client-callbacks/callback-outbox.repository.ts) `times` times; ms of each.
 */
export async function timeClaimQuery(uri: string, times: number): Promise<number[]> {
  const client = await MongoClient.connect(uri);
  try {
    const col = client.db().collection(COLLECTION);
    const out: number[] = [];
    for (let i = 0; i < times; i++) {
      const t = performance.now();
      await col.findOne(
        { callbackDueAt: { $lte: new Date() } },
        { sort: { callbackDueAt: 1 }, projection: { statusCallbackUrl: 1, callbackEvents: 1 } },
      );
      out.push(Math.round(performance.now() - t));
    }
    return out;
  } finally {
    await client.close();
  }
}

/** Removes the messages whose statusCallbackUrl is `url` (the bench's own, after a soak). */
export async function deleteMessagesFor(uri: string, url: string): Promise<number> {
  const client = await MongoClient.connect(uri);
  try {
    const r = await client.db().collection(COLLECTION).deleteMany({ statusCallbackUrl: url });
    return r.deletedCount;
  } finally {
    await client.close();
  }
}

/**
 * The events an outbound seeded message would have made: one per applied status change after
 * `pending` (queued, sent, then the final one: up to 3), all pending and due now, as if `url`
 * had never answered. Inbound messages have no callbacks and are left as they are.
 */
function withPendingEvents(url: string, now: Date) {
  return (doc: Record<string, unknown>): Record<string, unknown> => {
    if (doc.direction !== 'outbound') return doc;
    const history = doc.statusHistory as { status: string; applied: boolean }[];
    const moves = history.filter((h) => h.applied && h.status !== 'pending');
    let previous = 'pending';
    const callbackEvents = moves.map((h, n) => {
      const event = {
        id: `evt_${new ObjectId().toHexString()}`,
        sequence: n + 1,
        status: h.status,
        previousStatus: previous,
        errorCode: null,
        errorMessage: null,
        plivoMessageUuid: doc.plivoMessageUuid,
        channel: 'mms',
        // Now, not the seeded createdAt: an event older than STATUS_CALLBACK_MAX_AGE_MS would
        // be abandoned at its first failure instead of waiting.
        occurredAt: now,
        state: 'pending',
        attempts: 0,
        nextAttemptAt: now,
      };
      previous = h.status;
      return event;
    });
    return {
      ...doc,
      statusCallbackUrl: url,
      callbackEvents,
      callbackDueAt: now,
    };
  };
}

/** Seeds `count` messages (seed.ts's mix) whose events all wait for `url`. */
export function seedPendingCallbacks(
  uri: string,
  count: number,
  url: string,
  log: (line: string) => void,
): Promise<SeedResult> {
  return seedMessages({
    uri,
    count,
    batchSize: 5000,
    endAt: new Date(),
    spanDays: 1,
    log,
    decorate: withPendingEvents(url, new Date()),
  });
}
