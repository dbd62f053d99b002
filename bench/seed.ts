/**
 * Bulk-inserts N realistic message logs (the shape MessageLogRepository writes after a send and
 * its callbacks) straight into the `message_logs` collection, in insertMany batches.
 *
 *   node -r ts-node/register/transpile-only bench/seed.ts --uri mongodb://127.0.0.1:27017/mms --count 100000
 *
 * Used by `npm run bench -- --seed N` (flat-cost mode). createdAt is spread over the 90 days
 * before `endAt` (oldest first), each _id carries its createdAt's timestamp, statuses follow a
 * plausible mix, and every plivoMessageUuid is unique (the collection has a unique index on it).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import { MMS_RATE, plivoTime } from '../sandbox/plivo-simulator/signed-webhook';
import { CLIENT_ID, SENDER } from './fixtures';

const { MongoClient, ObjectId } = mongoose.mongo;
type ObjectIdT = InstanceType<typeof ObjectId>;

export const COLLECTION = 'message_logs';
export const SEED_BATCH_SIZE = 10_000;

export interface SeedOptions {
  /** mongodb://host:port/db (the database the service uses). */
  uri: string;
  count: number;
  batchSize?: number;
  /** Newest seeded createdAt (default: one hour ago, so live traffic is newer than the seed). */
  endAt?: Date;
  spanDays?: number;
  log?: (line: string) => void;
  /** Changes each document before it is inserted (e.g. adds a status callback outbox). */
  decorate?: (doc: Record<string, unknown>) => Record<string, unknown>;
}

export interface SeedResult {
  count: number;
  durationMs: number;
  docsPerSecond: number;
  /** The document in the middle of the newest-first order: a cursor "deep in the collection". */
  middle: { createdAt: Date; id: string };
  oldest: { createdAt: Date; id: string };
  newest: { createdAt: Date; id: string };
}

function objectIdAt(date: Date, seq: number, salt: string): ObjectIdT {
  const seconds = Math.floor(date.getTime() / 1000)
    .toString(16)
    .padStart(8, '0');
  return new ObjectId(seconds + salt + (seq % 0x100000000).toString(16).padStart(8, '0'));
}

type Outcome = 'delivered' | 'failed' | 'sent' | 'queued' | 'undelivered' | 'received';
const RANK: Record<Outcome, number> = {
  queued: 2,
  sent: 3,
  received: 3,
  delivered: 4,
  failed: 4,
  undelivered: 4,
};

function outcomeFor(i: number): Outcome {
  const r = (i * 2654435761) % 100; // deterministic spread
  if (r < 84) return 'delivered';
  if (r < 88) return 'failed';
  if (r < 91) return 'undelivered';
  if (r < 95) return 'sent';
  if (r < 97) return 'queued';
  return 'received';
}

export function seedDocument(i: number, createdAt: Date, salt: string): Record<string, unknown> {
  const outcome = outcomeFor(i);
  const uuid = randomUUID();
  const recipient = `+1415${String(2000000 + ((i * 7919) % 7999999)).padStart(7, '0')}`;
  const at = (ms: number) => new Date(createdAt.getTime() + ms);
  const base = {
    _id: objectIdAt(createdAt, i, salt),
    // The bench's own client reads them all (outbound: it sent them; inbound: INBOUND_CLIENTS).
    clientId: CLIENT_ID,
    channel: 'mms',
    text: `Seeded message ${i}: your order has shipped, tap the picture for the tracking page.`,
    mediaUrls: [`https://media.example.com/seed/${i % 5000}.gif`],
    mediaIds: [],
    plivoMessageUuid: uuid,
    createdAt,
  };
  if (outcome === 'received') {
    return {
      ...base,
      direction: 'inbound',
      sender: recipient,
      recipient: SENDER,
      status: 'received',
      statusRank: RANK.received,
      attempts: 0,
      attemptLog: [],
      statusHistory: [
        { status: 'received', at: createdAt, source: 'plivo-inbound', applied: true },
      ],
      eventKeys: [],
      delivery: { MediaCount: '1' },
      updatedAt: createdAt,
    };
  }
  const history: Record<string, unknown>[] = [
    { status: 'pending', at: createdAt, source: 'api', applied: true },
    { status: 'queued', at: at(40), source: 'plivo-response', applied: true },
  ];
  const eventKeys: string[] = [];
  const delivery: Record<string, string> = {
    Units: '1',
    TotalRate: MMS_RATE,
    TotalAmount: MMS_RATE,
    MCC: '310',
    MNC: '004',
    MessageTime: plivoTime(createdAt),
    QueuedTime: plivoTime(createdAt),
  };
  const steps: Outcome[] =
    outcome === 'queued'
      ? ['queued']
      : outcome === 'sent'
        ? ['queued', 'sent']
        : ['queued', 'sent', outcome];
  steps.forEach((status, n) => {
    // The queued callback arrives after the send response: recorded, not applied.
    const applied = status !== 'queued';
    const entry: Record<string, unknown> = {
      status,
      at: at(500 * (n + 1)),
      source: 'plivo-callback',
      applied,
    };
    if (status === 'failed' || status === 'undelivered') entry.errorCode = '50';
    history.push(entry);
    eventKeys.push(`${uuid}|${status}|${n + 1}`);
  });
  if (steps.includes('sent')) delivery.SentTime = plivoTime(at(1000));
  const final = steps[steps.length - 1];
  if (RANK[final] === 4) delivery.DeliveryReportTime = plivoTime(at(1500));
  return {
    ...base,
    direction: 'outbound',
    sender: SENDER,
    recipient,
    status: final,
    statusRank: RANK[final],
    plivoApiId: randomUUID(),
    attempts: 1,
    attemptLog: [{ at: at(40), outcome: 'ok', httpStatus: 202, durationMs: 38 }],
    statusHistory: history,
    eventKeys,
    delivery,
    ...(RANK[final] === 4 && final !== 'delivered'
      ? { errorCode: '50', errorMessage: 'Destination number is invalid' }
      : {}),
    updatedAt: at(500 * steps.length),
  };
}

export async function seedMessages(options: SeedOptions): Promise<SeedResult> {
  const { uri, count } = options;
  const batchSize = options.batchSize ?? SEED_BATCH_SIZE;
  const endAt = options.endAt ?? new Date(Date.now() - 3600_000);
  const spanMs = (options.spanDays ?? 90) * 86400_000;
  const startAt = endAt.getTime() - spanMs;
  const log = options.log ?? (() => undefined);
  const step = count > 1 ? spanMs / (count - 1) : 0;
  const salt = randomBytes(4).toString('hex');
  const createdAtOf = (i: number) => new Date(Math.round(startAt + i * step));

  const client = await MongoClient.connect(uri);
  try {
    const collection = client.db().collection(COLLECTION);
    const started = Date.now();
    let lastReport = started;
    for (let offset = 0; offset < count; offset += batchSize) {
      const docs: Record<string, unknown>[] = [];
      for (let i = offset; i < Math.min(count, offset + batchSize); i++) {
        const doc = seedDocument(i, createdAtOf(i), salt);
        docs.push(options.decorate ? options.decorate(doc) : doc);
      }
      await collection.insertMany(docs, { ordered: false });
      const done = Math.min(count, offset + batchSize);
      if (Date.now() - lastReport > 10_000 || done === count) {
        lastReport = Date.now();
        const rate = Math.round(done / ((Date.now() - started) / 1000));
        log(
          `  seeded ${done.toLocaleString('en-US')} / ${count.toLocaleString('en-US')} (${rate} docs/s)`,
        );
      }
    }
    const durationMs = Date.now() - started;
    const ref = (i: number) => {
      const createdAt = createdAtOf(i);
      return { createdAt, id: objectIdAt(createdAt, i, salt).toHexString() };
    };
    return {
      count,
      durationMs,
      docsPerSecond: Math.round(count / (durationMs / 1000)),
      // Index i is the i-th oldest; newest-first, the middle of the collection is i = count/2.
      middle: ref(Math.floor(count / 2)),
      oldest: ref(0),
      newest: ref(count - 1),
    };
  } finally {
    await client.close();
  }
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const arg = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const uri = arg('uri') ?? process.env.MONGODB_URI;
  if (!uri) {
    console.error('usage: bench/seed.ts --uri mongodb://host:port/db [--count N] [--batch N]');
    process.exit(2);
  }
  seedMessages({
    uri,
    count: Number(arg('count') ?? 1_000_000),
    batchSize: Number(arg('batch') ?? SEED_BATCH_SIZE),
    log: console.log,
  }).then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
