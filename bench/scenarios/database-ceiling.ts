/**
 * What the database alone allows for the send path's writes: the same insert (the pending log)
 * and conditional update (→ queued, with $push) that MessageLogRepository issues per send, from
 * as many concurrent workers as autocannon has connections, over the plain driver: no HTTP, no
 * Nest, no Plivo. Runs on its own collection of the same database, which grows as message_logs
 * does during the send run.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import mongoose from 'mongoose';
import { DESTINATIONS, MEDIA_URL, SENDER } from '../fixtures';
import { log } from '../report';
import { round, stats, type ProcStats } from '../stats';
import type { BenchContext } from './context';

type Collection = mongoose.mongo.Collection<Record<string, unknown>>;

export interface DatabaseCeiling {
  opsPerS: number;
  p50: number;
  p99: number;
  errors: number;
  processes: Record<string, ProcStats>;
}

export async function databaseCeilingScenario(ctx: BenchContext): Promise<DatabaseCeiling> {
  const { connections, durationS } = ctx.options;
  process.stdout.write(
    `  database ceiling (the send path's insert + conditional update, plain driver, ${connections} workers, ${durationS} s)… `,
  );
  const sampler = ctx.sampler();
  sampler.start();
  const ceiling = await databaseCeiling(ctx.database.uri, connections, durationS);
  const processes = sampler.stop();
  await ctx.drain();
  log(`${ceiling.opsPerS} pairs/s, p99 ${ceiling.p99} ms`);
  return { ...ceiling, processes };
}

async function databaseCeiling(uri: string, workers: number, durationS: number) {
  const client = await mongoose.mongo.MongoClient.connect(uri);
  try {
    const col = client.db().collection<Record<string, unknown>>('bench_db_ceiling');
    const latencies: number[] = [];
    let errors = 0;
    const until = performance.now() + durationS * 1000;
    let n = 0;
    const worker = async () => {
      while (performance.now() < until) {
        const started = performance.now();
        try {
          await insertThenQueue(col, DESTINATIONS[n++ % DESTINATIONS.length]);
          latencies.push(performance.now() - started);
        } catch {
          errors++;
        }
      }
    };
    await Promise.all(Array.from({ length: workers }, worker));
    const st = stats(latencies, errors);
    return { opsPerS: round(latencies.length / durationS), p50: st.p50, p99: st.p99, errors };
  } finally {
    await client.close();
  }
}

/** The send path's two writes for one message. */
async function insertThenQueue(col: Collection, recipient: string): Promise<void> {
  const now = new Date();
  const { insertedId } = await col.insertOne({
    direction: 'outbound',
    channel: 'mms',
    sender: SENDER,
    recipient,
    text: 'Benchmark message: your order has shipped.',
    mediaUrls: [MEDIA_URL],
    mediaIds: [],
    status: 'pending',
    statusRank: 0,
    attempts: 0,
    attemptLog: [],
    statusHistory: [{ status: 'pending', at: now, source: 'api', applied: true }],
    eventKeys: [],
    createdAt: now,
    updatedAt: now,
  });
  const update = {
    $set: {
      status: 'queued',
      statusRank: 2,
      plivoMessageUuid: randomBytes(16).toString('hex'),
      updatedAt: new Date(),
    },
    $inc: { attempts: 1 },
    $push: {
      statusHistory: { status: 'queued', at: new Date(), source: 'plivo-response', applied: true },
      attemptLog: { at: new Date(), outcome: 'ok', httpStatus: 202 },
    },
  };
  await col.updateOne(
    { _id: insertedId, statusRank: { $lt: 2 } },
    update as unknown as Parameters<Collection['updateOne']>[1],
  );
}
