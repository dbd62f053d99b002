/**
 * `npm run bench`: throughput, latency and memory of the built service, in production mode,
 * against a real MongoDB-wire server and the Plivo simulator, next to a bare baseline.
 * Not part of `npm test`. See bench/README.md for what is measured and why, and USAGE below
 * (`npm run bench -- --help`) for the options.
 */
import { parseArgs } from 'node:util';
import { configMapValue } from './environment';
import { runBench } from './main';
import { FLAT_OPS, type FlatOp } from './scenarios/flat-ops';

/** What `npm run bench -- --help` prints. */
export const USAGE = `npm run bench [-- options]: the service's throughput, latency and memory (bench/README.md)

  npm run bench                                 # build, then the throughput run (~2 min)
  npm run bench -- --profile                    # same, with a CPU profile of each scenario
  npm run bench -- --seed 100000                # flat-cost mode: empty vs 100k seeded messages
  npm run bench:flat                            # flat-cost mode with 1,000,000 messages
  npm run bench -- --client-callbacks           # + webhooks with a stalled client, outbox soak
  npm run bench -- --dispatch                   # + the dispatch queue: drain, paced, RSS
  npm run bench -- --campaign                   # + campaigns: creation time and RSS, drain

Options (numbers are plain decimals, defaults in parentheses):
  --duration S (10), --warmup S (2), --connections N (50)
  --latency MS          Plivo's simulated latency (or BENCH_PLIVO_LATENCY_MS; 20)
  --callbacks           let the simulator send status callbacks during the run
  --skip-build, --profile, --keep-db
  --seed N / --flat     flat-cost mode (--flat: 1,000,000 messages)
  --samples N (200), --budget S (20), --min-samples N (3)
                        flat: requests per operation, seconds per operation at most, fewest samples
  --flat-ops a,b        operations measured on the seeded collection: ${FLAT_OPS.join(', ')} (all)
  --service-node-args "--flag …"
                        extra node flags for the service and the baselines, e.g. "--max-old-space-size=128"
  --log-level L         LOG_LEVEL of the service and the same-stack baseline (the ConfigMap's, info)
  --client-callbacks    after the throughput run: webhook latency while a client's endpoint stalls,
                        then RSS while a dead one's events wait in MongoDB
  --callback-messages N (as many as the send run created), --soak-messages N (20000), --soak S (20)
  --dispatch            after the throughput run: the dispatch queue's drain rate vs the send rate,
                        its pacing, its memory with a large queue
  --dispatch-messages N (10000), --dispatch-paced-rate R (5), --dispatch-paced-seconds S (30),
  --dispatch-waiting N (100000), --dispatch-waiting-seconds S (20)
  --campaign            after the throughput run: POST /campaigns' answer time and RSS, and a
                        campaign's drain vs the send rate
  --campaign-recipients N (10000), --campaign-drain N (--campaign-recipients)
  -h, --help            this text

MONGODB_URI: use that server (a fresh database mms_bench_<time> on it, dropped at the end)
instead of the embedded server (chooseDatabaseServer) in a temp dir.`;

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

const OPTIONS = {
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
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** A number option's value, refused (naming the option) unless a plain decimal ≥ 0. */
function numberOption(name: string, value: string, kind: 'integer' | 'number' = 'number'): number {
  const n = /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n) || (kind === 'integer' && !Number.isInteger(n)))
    throw new UsageError(
      `${name}: expected ${kind === 'integer' ? 'a whole number' : 'a number'} (0 or more), got "${value}"`,
    );
  return n;
}

/** A mistake on the command line: its message is all the user needs (no stack). */
export class UsageError extends Error {}

/** The options of a run, or 'help' (--help, -h): USAGE is printed instead. */
export function parseOptions(args: string[]): BenchOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const opts = parsed.values;
  if (opts.help) return 'help';
  const num = (name: keyof typeof OPTIONS, kind?: 'integer') =>
    numberOption(`--${name}`, String(opts[name]), kind);
  const optional = (name: keyof typeof OPTIONS) =>
    opts[name] === undefined ? undefined : num(name, 'integer');
  if (opts['client-callbacks'] && (opts.flat || opts.seed !== undefined))
    throw new UsageError(
      '--client-callbacks runs after the throughput run: not with --flat or --seed',
    );
  if (opts.dispatch && (opts.flat || opts.seed !== undefined))
    throw new UsageError('--dispatch runs after the throughput run: not with --flat or --seed');
  if (opts.campaign && (opts.flat || opts.seed !== undefined))
    throw new UsageError('--campaign runs after the throughput run: not with --flat or --seed');
  return {
    durationS: num('duration'),
    warmupS: num('warmup'),
    connections: num('connections', 'integer'),
    plivoLatencyMs:
      opts.latency !== undefined
        ? num('latency')
        : numberOption('BENCH_PLIVO_LATENCY_MS', process.env.BENCH_PLIVO_LATENCY_MS ?? '20'),
    callbacks: opts.callbacks,
    skipBuild: opts['skip-build'],
    profile: opts.profile,
    flat: opts.flat || opts.seed !== undefined,
    seedCount: optional('seed') ?? 1_000_000,
    flatSamples: num('samples', 'integer'),
    flatBudgetMs: num('budget') * 1000,
    flatMinSamples: num('min-samples', 'integer'),
    seededOps: flatOps(opts['flat-ops']),
    keepDb: opts['keep-db'],
    logLevel: opts['log-level'] ?? configMapValue('LOG_LEVEL') ?? 'info',
    serviceNodeArgs: opts['service-node-args'].split(' ').filter(Boolean),
    clientCallbacks: opts['client-callbacks'],
    callbackMessages: optional('callback-messages'),
    soakMessages: num('soak-messages', 'integer'),
    soakS: num('soak'),
    dispatch: opts.dispatch,
    dispatchMessages: num('dispatch-messages', 'integer'),
    dispatchPacedRate: num('dispatch-paced-rate'),
    dispatchPacedSeconds: num('dispatch-paced-seconds'),
    dispatchWaiting: num('dispatch-waiting', 'integer'),
    dispatchWaitingSeconds: num('dispatch-waiting-seconds'),
    campaign: opts.campaign,
    campaignRecipients: num('campaign-recipients', 'integer'),
    campaignDrain: optional('campaign-drain') ?? num('campaign-recipients', 'integer'),
  };
}

function flatOps(list: string): Set<FlatOp> {
  const ops = list.split(',').map((o) => o.trim());
  for (const op of ops) {
    if (!(FLAT_OPS as readonly string[]).includes(op))
      throw new UsageError(`--flat-ops: unknown operation ${op} (one of ${FLAT_OPS.join(', ')})`);
  }
  return new Set(ops as FlatOp[]);
}

if (require.main === module) {
  let options: BenchOptions | 'help';
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`${error.message}\n(npm run bench -- --help: the options)`);
    process.exit(2);
  }
  if (options === 'help') {
    console.log(USAGE);
    process.exit(0);
  }
  Promise.resolve()
    .then(() => runBench(options))
    .then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
        process.exit(1);
      },
    );
}
