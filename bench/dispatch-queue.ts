/**
 * The dispatch queue as the bench sees it in MongoDB: scheduled messages seeded in bulk from a
 * template the service itself wrote (one `POST /send-mms` with a sendAt, read back raw, so the
 * copies are exactly what MessageLogRepository.createPending writes), counts by status, and the
 * dispatchers' idle reads timed from the bench.
 */
import { performance } from 'node:perf_hooks';
import mongoose from 'mongoose';
import { DESTINATIONS } from './fixtures';
import { COLLECTION } from './seed';

const { MongoClient, ObjectId } = mongoose.mongo;

export type Doc = Record<string, unknown>;

/** The raw document of one message, as the service wrote it. */
export async function readMessage(uri: string, id: string): Promise<Doc> {
  const client = await MongoClient.connect(uri);
  try {
    const doc = await client
      .db()
      .collection(COLLECTION)
      .findOne({ _id: new ObjectId(id) });
    if (!doc) throw new Error(`message ${id} not found`);
    return doc;
  } finally {
    await client.close();
  }
}

/**
 * The i-th copy of a scheduled message the service wrote, due at `dueAt`: a new id, a rotating
 * destination, sendAt = dispatchDueAt = dueAt, the template's validity after it, and created
 * (its one history entry too) at `now`. Every other field is the template's.
 */
export function scheduledCopy(template: Doc, i: number, dueAt: Date, now: Date): Doc {
  const validityMs = (template.validUntil as Date).getTime() - (template.sendAt as Date).getTime();
  const [created] = template.statusHistory as Doc[];
  return {
    ...template,
    _id: new ObjectId(),
    recipient: DESTINATIONS[i % DESTINATIONS.length],
    sendAt: dueAt,
    dispatchDueAt: dueAt,
    validUntil: new Date(dueAt.getTime() + validityMs),
    statusHistory: [{ ...created, at: now }],
    createdAt: now,
    updatedAt: now,
  };
}

/** Inserts `count` copies of `template` due at `dueAt` (insertMany, batches of 5,000); ms taken. */
export async function seedScheduled(
  uri: string,
  template: Doc,
  count: number,
  dueAt: Date,
  log: (line: string) => void,
): Promise<number> {
  const client = await MongoClient.connect(uri);
  const started = performance.now();
  let lastReport = started;
  try {
    const collection = client.db().collection(COLLECTION);
    for (let offset = 0; offset < count; offset += 5000) {
      const now = new Date();
      const docs: Doc[] = [];
      for (let i = offset; i < Math.min(count, offset + 5000); i++)
        docs.push(scheduledCopy(template, i, dueAt, now));
      await collection.insertMany(docs, { ordered: false });
      const done = Math.min(count, offset + 5000);
      if (performance.now() - lastReport > 10_000 && done < count) {
        lastReport = performance.now();
        log(`    seeded ${done.toLocaleString('en-US')} / ${count.toLocaleString('en-US')}`);
      }
    }
    return Math.round(performance.now() - started);
  } finally {
    await client.close();
  }
}

/** Messages by status, and how many are still held (dispatchDueAt set, or matching `held`). */
export async function queueCounts(
  uri: string,
  held: Doc = { dispatchDueAt: { $exists: true } },
): Promise<{ byStatus: Record<string, number>; held: number }> {
  const client = await MongoClient.connect(uri);
  try {
    const collection = client.db().collection(COLLECTION);
    const rows = await collection
      .aggregate<{ _id: string; n: number }>([{ $group: { _id: '$status', n: { $sum: 1 } } }])
      .toArray();
    return {
      byStatus: Object.fromEntries(rows.map((r) => [r._id, r.n])),
      held: await collection.countDocuments(held),
    };
  } finally {
    await client.close();
  }
}

/** Empties the queue and the pacing state between scenarios (the bench's own data). */
export async function clearQueue(uri: string): Promise<number> {
  const client = await MongoClient.connect(uri);
  try {
    const db = client.db();
    const r = await db.collection(COLLECTION).deleteMany({ dispatchDueAt: { $exists: true } });
    await db.collection('pacing').deleteMany({});
    return r.deletedCount;
  } finally {
    await client.close();
  }
}

export interface IdleReads {
  /** The read half of a dispatcher's claim with nothing due (ms, each try). */
  claimMs: number[];
  /** What the database reports for that read (explain executionStats). */
  claimPlan: { keysExamined?: number; docsExamined?: number; returned?: number; stage?: string };
  /** The backlog gauge's refresh (every 5 s per replica): its aggregate, and its first-due read. */
  backlogAggregateMs: number[];
  backlogFirstDueMs: number[];
}

/**
 * Times, from the bench, the reads a replica makes while nothing is due
 * (src/mms/dispatch/dispatch-queue.repository.ts: claim's filter and sort, backlog()).
 */
export async function timeIdleReads(uri: string, horizonMs: number, times = 5): Promise<IdleReads> {
  const client = await MongoClient.connect(uri);
  const timed = async (fn: () => Promise<unknown>) => {
    const t = performance.now();
    await fn();
    return Math.round(performance.now() - t);
  };
  try {
    const col = client.db().collection(COLLECTION);
    const claimFilter = () => ({ dispatchDueAt: { $lte: new Date(Date.now() + horizonMs) } });
    const held = { dispatchDueAt: { $exists: true } };
    const out: IdleReads = {
      claimMs: [],
      claimPlan: {},
      backlogAggregateMs: [],
      backlogFirstDueMs: [],
    };
    for (let i = 0; i < times; i++) {
      out.claimMs.push(
        await timed(() => col.findOne(claimFilter(), { sort: { dispatchDueAt: 1 } })),
      );
      out.backlogAggregateMs.push(
        await timed(() =>
          col
            .aggregate([{ $match: held }, { $group: { _id: '$sender', n: { $sum: 1 } } }])
            .toArray(),
        ),
      );
      out.backlogFirstDueMs.push(
        await timed(() => col.findOne(held, { sort: { dispatchDueAt: 1 } })),
      );
    }
    const plan = (await col
      .find(claimFilter())
      .sort({ dispatchDueAt: 1 })
      .limit(1)
      .explain('executionStats')) as {
      executionStats?: {
        totalKeysExamined?: number;
        totalDocsExamined?: number;
        nReturned?: number;
      };
      queryPlanner?: { winningPlan?: { stage?: string; inputStage?: { stage?: string } } };
    };
    const winning = plan.queryPlanner?.winningPlan;
    out.claimPlan = {
      keysExamined: plan.executionStats?.totalKeysExamined,
      docsExamined: plan.executionStats?.totalDocsExamined,
      returned: plan.executionStats?.nReturned,
      stage: [winning?.stage, winning?.inputStage?.stage].filter(Boolean).join(' ← '),
    };
    return out;
  } finally {
    await client.close();
  }
}
