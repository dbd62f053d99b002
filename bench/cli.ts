/**
 * `npm run bench`: throughput, latency and memory of the built service, in production mode,
 * against a real MongoDB-wire server and the Plivo simulator, next to a bare baseline.
 * Not part of `npm test`. See bench/README.md for what is measured and why.
 *
 *   npm run bench                                 # build, then the throughput run (~2 min)
 *   npm run bench -- --profile                    # same, with a CPU profile of each scenario
 *   npm run bench -- --seed 100000                # flat-cost mode: empty vs 100k seeded messages
 *   npm run bench:flat                            # flat-cost mode with 1,000,000 messages
 *   npm run bench -- --client-callbacks           # + webhooks with a stalled client, outbox soak
 *   npm run bench -- --dispatch                   # + the dispatch queue: drain, paced, RSS
 *   npm run bench -- --campaign                   # + campaigns: creation time and RSS, drain
 *
 * Options: --duration S (10), --warmup S (2), --connections N (50), --latency MS (or
 * BENCH_PLIVO_LATENCY_MS, default 20), --callbacks (let the simulator send status callbacks
 * during the run), --skip-build, --profile, --seed N / --flat, --samples N (flat: requests per
 * operation, 200), --budget S (flat: seconds per operation at most, 20), --min-samples N (3),
 * --flat-ops a,b (operations measured on the seeded collection: send, callback, getById,
 * listFirstPage, listDeepPage; all by default), --service-node-args "--flag …" (extra node flags
 * for the service and the baselines, e.g. "--max-old-space-size=128"), --log-level L (LOG_LEVEL
 * of the service and the same-stack baseline; the ConfigMap's, info), --keep-db, --client-callbacks (after the
 * throughput run: webhook latency while a client's endpoint stalls, then RSS while a dead one's
 * events wait in MongoDB), --callback-messages N (sends with a stalled client's URL; default: as
 * many as the send run created), --soak-messages N (20000), --soak S (20), --dispatch (after the
 * throughput run: the dispatch queue's drain rate vs the send rate, its pacing, its memory with
 * a large queue), --dispatch-messages N (10000), --dispatch-paced-rate R (5),
 * --dispatch-paced-seconds S (30), --dispatch-waiting N (100000), --dispatch-waiting-seconds S (20),
 * --campaign (after the throughput run: POST /campaigns' answer time and RSS, and a campaign's
 * drain vs the send rate), --campaign-recipients N (10000), --campaign-drain N (the drain's
 * messages; --campaign-recipients by default).
 * MONGODB_URI: use that server (a fresh database mms_bench_<time> on it, dropped at the end)
 * instead of the embedded server (chooseDatabaseServer) in a temp dir.
 */
import { parseArgs } from 'node:util';
import { configMapValue } from './environment';
import { runBench } from './main';
import { FLAT_OPS, type FlatOp } from './scenarios/flat-ops';

export interface BenchOptions {
  durationS: number;
  warmupS: number;
  connections: number;
  plivoLatencyMs: number;
  callbacks: boolean;
  skipBuild: boolean;
  profile: boolean;
  /** Flat-cost mode (--flat or --seed N) instead of the throughput run. */
  flat: boolean;
  seedCount: number;
  flatSamples: number;
  flatBudgetMs: number;
  flatMinSamples: number;
  /** Operations measured on the seeded collection (the empty one gets all of them). */
  seededOps: ReadonlySet<FlatOp>;
  keepDb: boolean;
  /** LOG_LEVEL of the service and the same-stack baseline (--log-level; the ConfigMap's). */
  logLevel: string;
  /** --service-node-args, split into flags. */
  serviceNodeArgs: string[];
  /** After the throughput run: the client-callbacks scenarios (scenarios/client-callbacks.ts). */
  clientCallbacks: boolean;
  /** Sends whose callbacks go to the stalled client; undefined: as many as the send run made. */
  callbackMessages?: number;
  /** Messages seeded with pending events for the dead client (up to 3 events each). */
  soakMessages: number;
  soakS: number;
  /** After the throughput run: the dispatch queue scenarios (scenarios/dispatch.ts). */
  dispatch: boolean;
  /** Scheduled messages due at once for the drain (pacing off). */
  dispatchMessages: number;
  /** The paced run's PACING_ACCOUNT_MMS_PER_SECOND and how long it is watched. */
  dispatchPacedRate: number;
  dispatchPacedSeconds: number;
  /** Scheduled messages waiting (due in a day) while RSS is sampled, and the sends' window. */
  dispatchWaiting: number;
  dispatchWaitingSeconds: number;
  /** After the throughput run: the campaign scenarios (scenarios/campaign.ts). */
  campaign: boolean;
  campaignRecipients: number;
  /** The drain's messages (default: campaignRecipients); the stand-in's claim reads every due one. */
  campaignDrain: number;
}

export function parseOptions(args: string[]): BenchOptions {
  const { values: opts } = parseArgs({
    args,
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '50' },
      latency: { type: 'string' },
      callbacks: { type: 'boolean', default: false },
      'skip-build': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      seed: { type: 'string' },
      flat: { type: 'boolean', default: false },
      samples: { type: 'string', default: '200' },
      budget: { type: 'string', default: '20' },
      'min-samples': { type: 'string', default: '3' },
      'flat-ops': { type: 'string', default: FLAT_OPS.join(',') },
      'keep-db': { type: 'boolean', default: false },
      'log-level': { type: 'string' },
      'service-node-args': { type: 'string', default: '' },
      'client-callbacks': { type: 'boolean', default: false },
      'callback-messages': { type: 'string' },
      'soak-messages': { type: 'string', default: '20000' },
      soak: { type: 'string', default: '20' },
      dispatch: { type: 'boolean', default: false },
      'dispatch-messages': { type: 'string', default: '10000' },
      'dispatch-paced-rate': { type: 'string', default: '5' },
      'dispatch-paced-seconds': { type: 'string', default: '30' },
      'dispatch-waiting': { type: 'string', default: '100000' },
      'dispatch-waiting-seconds': { type: 'string', default: '20' },
      campaign: { type: 'boolean', default: false },
      'campaign-recipients': { type: 'string', default: '10000' },
      'campaign-drain': { type: 'string' },
    },
    strict: true,
  });
  if (opts['client-callbacks'] && (opts.flat || opts.seed !== undefined))
    throw new Error('--client-callbacks runs after the throughput run: not with --flat or --seed');
  if (opts.dispatch && (opts.flat || opts.seed !== undefined))
    throw new Error('--dispatch runs after the throughput run: not with --flat or --seed');
  if (opts.campaign && (opts.flat || opts.seed !== undefined))
    throw new Error('--campaign runs after the throughput run: not with --flat or --seed');
  return {
    durationS: Number(opts.duration),
    warmupS: Number(opts.warmup),
    connections: Number(opts.connections),
    plivoLatencyMs: Number(opts.latency ?? process.env.BENCH_PLIVO_LATENCY_MS ?? 20),
    callbacks: opts.callbacks,
    skipBuild: opts['skip-build'],
    profile: opts.profile,
    flat: opts.flat || opts.seed !== undefined,
    seedCount: Number(opts.seed ?? 1_000_000),
    flatSamples: Number(opts.samples),
    flatBudgetMs: Number(opts.budget) * 1000,
    flatMinSamples: Number(opts['min-samples']),
    seededOps: flatOps(opts['flat-ops']),
    keepDb: opts['keep-db'],
    logLevel: opts['log-level'] ?? configMapValue('LOG_LEVEL') ?? 'info',
    serviceNodeArgs: opts['service-node-args'].split(' ').filter(Boolean),
    clientCallbacks: opts['client-callbacks'],
    callbackMessages:
      opts['callback-messages'] !== undefined ? Number(opts['callback-messages']) : undefined,
    soakMessages: Number(opts['soak-messages']),
    soakS: Number(opts.soak),
    dispatch: opts.dispatch,
    dispatchMessages: Number(opts['dispatch-messages']),
    dispatchPacedRate: Number(opts['dispatch-paced-rate']),
    dispatchPacedSeconds: Number(opts['dispatch-paced-seconds']),
    dispatchWaiting: Number(opts['dispatch-waiting']),
    dispatchWaitingSeconds: Number(opts['dispatch-waiting-seconds']),
    campaign: opts.campaign,
    campaignRecipients: Number(opts['campaign-recipients']),
    campaignDrain: Number(opts['campaign-drain'] ?? opts['campaign-recipients']),
  };
}

function flatOps(list: string): Set<FlatOp> {
  const ops = list.split(',').map((o) => o.trim());
  for (const op of ops) {
    if (!(FLAT_OPS as readonly string[]).includes(op))
      throw new Error(`--flat-ops: unknown operation ${op} (one of ${FLAT_OPS.join(', ')})`);
  }
  return new Set(ops as FlatOp[]);
}

if (require.main === module) {
  Promise.resolve()
    .then(() => runBench(parseOptions(process.argv.slice(2))))
    .then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
        process.exit(1);
      },
    );
}
