/**
 * Flat-cost mode (--seed N, --flat): the operations' sequential latency on an empty collection,
 * then after seeding N messages; the target is seeded p50 ≤ 1.5× empty p50 for each.
 */
import mongoose from 'mongoose';
import { API_KEY, MESSAGES_PATH } from '../fixtures';
import { call } from '../http';
import { log, table, type Target } from '../report';
import { COLLECTION, SEED_BATCH_SIZE, seedMessages, type SeedResult } from '../seed';
import { round, type OpStats } from '../stats';
import type { BenchContext, ModeOutcome } from './context';
import { cursorOf, FLAT_OPS, flatPhase } from './flat-ops';

interface FlatRow {
  op: string;
  empty: OpStats;
  seeded: OpStats;
  ratioP50: number;
  ratioMean: number;
  /** No seeded sample succeeded: the ratios use the quickest failure's time, a lower bound. */
  lowerBound: boolean;
}

const count = (n: number) => n.toLocaleString('en-US');

export async function flatRun(ctx: BenchContext): Promise<ModeOutcome> {
  const { flatSamples, flatBudgetMs, flatMinSamples, seedCount, seededOps } = ctx.options;
  log(
    `\nFlat-cost mode: sequential requests (≤ ${flatSamples} per operation, ≤ ${flatBudgetMs / 1000} s each), empty collection, then ${count(seedCount)} seeded messages`,
  );
  log('  empty collection:');
  const emptySampler = ctx.sampler();
  emptySampler.start();
  const empty = await flatPhase(ctx, () => middleOfFirstPage(ctx), new Set(FLAT_OPS));
  const emptyProcs = emptySampler.stop();
  ctx.simulator.reset();

  const seeding = await seed(ctx);

  log(`  seeded collection (${count(seedCount)} + the empty phase's messages):`);
  const seededSampler = ctx.sampler();
  seededSampler.start();
  const skipped = FLAT_OPS.filter((op) => !seededOps.has(op));
  if (skipped.length)
    log(`    (not measured on the seeded collection: ${skipped.join(', ')}; --flat-ops)`);
  const { middle } = seeding;
  const seeded = await flatPhase(ctx, async () => cursorOf(middle.createdAt, middle.id), seededOps);
  const seededProcs = seededSampler.stop();
  log(
    `  max RSS: service ${emptyProcs.service?.rssMaxMb} → ${seededProcs.service?.rssMaxMb} MB, database ${emptyProcs.database?.rssMaxMb ?? '-'} → ${seededProcs.database?.rssMaxMb ?? '-'} MB (empty → seeded phase)`,
  );

  const rows = FLAT_OPS.filter((op) => seeded[op]).map((op) =>
    flatRow(op, empty[op]!, seeded[op]!),
  );
  printRows(rows);
  return {
    report: {
      flat: {
        seed: seeding,
        samplesPerOp: flatSamples,
        budgetS: flatBudgetMs / 1000,
        minSamples: flatMinSamples,
        processes: { empty: emptyProcs, seeded: seededProcs },
        rows,
      },
    },
    targets: rows.map(flatTarget),
  };
}

/** The middle of what the empty phase created: as deep as an "empty" collection goes. */
async function middleOfFirstPage(ctx: BenchContext): Promise<string> {
  const r = await call(ctx.service.baseUrl, 'GET', `${MESSAGES_PATH}?limit=100`, {
    'x-api-key': API_KEY,
  });
  const items = (JSON.parse(r.body) as { items: { id: string; createdAt: string }[] }).items;
  const mid = items[Math.floor(items.length / 2)];
  return cursorOf(mid.createdAt, mid.id);
}

/** Seeds --seed N messages; what the results file says of it. */
async function seed(ctx: BenchContext) {
  const { seedCount } = ctx.options;
  log(`  seeding ${count(seedCount)} messages (insertMany, batches of ${count(SEED_BATCH_SIZE)})…`);
  const sampler = ctx.sampler();
  sampler.start();
  const seed: SeedResult = await seedMessages({ uri: ctx.database.uri, count: seedCount, log });
  const processes = sampler.stop();
  const size = await collectionSize(ctx.database.uri);
  log(
    `  seeded in ${round(seed.durationMs / 1000)} s (${seed.docsPerSecond} docs/s); ${COLLECTION}: ${count(size.count)} documents, ${round(size.sizeBytes / 1048576)} MB (avg ${size.avgObjSize} bytes as stored)`,
  );
  return { ...seed, batchSize: SEED_BATCH_SIZE, collection: size, processes };
}

async function collectionSize(
  uri: string,
): Promise<{ count: number; sizeBytes: number; avgObjSize: number }> {
  const client = await mongoose.mongo.MongoClient.connect(uri);
  try {
    const st = await client.db().command({ collStats: COLLECTION });
    return {
      count: Number(st.count),
      sizeBytes: Number(st.size),
      avgObjSize: Math.round(Number(st.avgObjSize)),
    };
  } catch {
    return { count: NaN, sizeBytes: NaN, avgObjSize: NaN };
  } finally {
    await client.close();
  }
}

function flatRow(op: string, empty: OpStats, seeded: OpStats): FlatRow {
  // No successful sample (e.g. every request timed out): the time a failure took is a lower bound.
  const lowerBound =
    seeded.samples === 0 && seeded.failures?.length
      ? Math.min(...seeded.failures.map((f) => f.ms))
      : undefined;
  return {
    op,
    empty,
    seeded,
    ratioP50: round((lowerBound ?? seeded.p50) / empty.p50, 2),
    ratioMean: round((lowerBound ?? seeded.mean) / empty.mean, 2),
    lowerBound: lowerBound !== undefined,
  };
}

const ratioText = (r: FlatRow, v: number) => `${r.lowerBound ? '≥ ' : ''}${v}×`;

function printRows(rows: FlatRow[]): void {
  log('');
  log(
    table(
      [
        'operation',
        'empty p50 ms',
        'empty p99 ms',
        'n',
        `seeded p50 ms`,
        'seeded p99 ms',
        'n',
        'p50 ratio',
        'mean ratio',
        '≤ 1.5×',
      ],
      rows.map((r) => [
        r.op,
        r.empty.p50,
        r.empty.p99,
        r.empty.samples,
        r.seeded.p50,
        r.seeded.p99,
        r.seeded.samples,
        ratioText(r, r.ratioP50),
        ratioText(r, r.ratioMean),
        r.ratioP50 <= 1.5 ? 'PASS' : 'FAIL',
      ]),
    ),
  );
}

function flatTarget(r: FlatRow): Target {
  const seeded = r.lowerBound
    ? `no answer within ${round(Math.min(...r.seeded.failures!.map((f) => f.ms)) / 1000)} s`
    : `${r.seeded.p50} ms`;
  return {
    target: `${r.op}: seeded p50 ≤ 1.5× empty p50`,
    measured: `${ratioText(r, r.ratioP50)} (${r.empty.p50} → ${seeded})`,
    pass: r.ratioP50 <= 1.5,
  };
}
