/**
 * `npm run bench`: throughput, latency and memory of the built service, in production mode,
 * against a real MongoDB-wire server and the Plivo simulator, next to a bare baseline.
 * Not part of `npm test`. See bench/README.md for what is measured and why.
 *
 *   npm run bench                                 # build, then the throughput run (~2 min)
 *   npm run bench -- --profile                    # same, with the service under --cpu-prof
 *   npm run bench -- --seed 100000                # flat-cost mode: empty vs 100k seeded messages
 *   npm run bench:flat                            # flat-cost mode with 1,000,000 messages
 *
 * Options: --duration S (10), --warmup S (2), --connections N (50), --latency MS (or
 * BENCH_PLIVO_LATENCY_MS, default 20), --callbacks (let the simulator send status callbacks
 * during the run), --skip-build, --profile, --seed N / --flat, --samples N (flat: requests per
 * operation, 200), --budget S (flat: seconds per operation at most, 20), --min-samples N (3),
 * --flat-ops a,b (operations measured on the seeded collection: send, callback, getById,
 * listFirstPage, listDeepPage; all by default), --service-node-args "--flag …" (extra node flags
 * for the service, e.g. "--max-old-space-size=128"), --keep-db.
 * MONGODB_URI: use that server (a fresh database mms_bench_<time> on it, dropped at the end)
 * instead of the embedded server (chooseDatabaseServer) in a temp dir.
 */
import autocannon from 'autocannon';
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import mongoose from 'mongoose';
import ts from 'typescript';
import { computeV3Signature } from '../src/mms/webhooks/plivo-signature';
import {
  freePort,
  startEmbeddedDatabase,
  type EmbeddedDatabase,
} from '../sandbox/embedded-database';
import { PlivoSimulator } from '../sandbox/plivo-simulator';
import { formatProfileSummary, summarizeCpuProfile, type ProfileSummary } from './profile-summary';
import { seedMessages, type SeedResult } from './seed';

const ROOT = resolve(__dirname, '..');
const RESULTS_DIR = join(__dirname, 'results');
const AUTH_ID = 'MABENCH000000000000';
const SENDER = '+14155550100';
const API_KEY = `bench-${randomBytes(16).toString('hex')}`;
const MEDIA_URL = 'https://media.example.com/bench/hello.gif';
const STATUS_PATH = '/webhooks/plivo/status';

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

const { values: opts } = parseArgs({
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
    'flat-ops': { type: 'string', default: 'send,callback,getById,listFirstPage,listDeepPage' },
    'keep-db': { type: 'boolean', default: false },
    'service-node-args': { type: 'string', default: '' },
  },
  strict: true,
});
const DURATION_S = Number(opts.duration);
const WARMUP_S = Number(opts.warmup);
const CONNECTIONS = Number(opts.connections);
const PLIVO_LATENCY_MS = Number(opts.latency ?? process.env.BENCH_PLIVO_LATENCY_MS ?? 20);
const FLAT = opts.flat || opts.seed !== undefined;
const SEED_COUNT = Number(opts.seed ?? 1_000_000);
const FLAT_SAMPLES = Number(opts.samples);
const FLAT_BUDGET_MS = Number(opts.budget) * 1000;
const FLAT_MIN_SAMPLES = Number(opts['min-samples']);
/** Operations measured on the seeded collection (the empty one gets all of them). */
const SEEDED_OPS = new Set(opts['flat-ops']!.split(',').map((o) => o.trim()));

const log = (line = '') => console.log(line);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

// ---------------------------------------------------------------------------------------------
// Processes: the service, the bare baseline, RSS/CPU sampling
// ---------------------------------------------------------------------------------------------

interface Service {
  baseUrl: string;
  child: ChildProcess;
  output(): string;
  startup: { portOpenMs: number; readyMs: number };
  stop(): Promise<void>;
}

function collectOutput(child: ChildProcess): () => string {
  let out = '';
  const add = (chunk: Buffer) => (out = (out + chunk.toString()).slice(-20000));
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return () => out;
}

function stopChild(child: ChildProcess, timeoutMs = 15000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(killer);
      done();
    });
    child.kill('SIGTERM');
  });
}

/** One GET; resolves to the status, or 0 when the connection failed. */
function probe(url: string): Promise<number> {
  return new Promise((done) => {
    const req = request(url, { agent: false, timeout: 1000 }, (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(0));
    req.end();
  });
}

async function startService(
  env: Record<string, string>,
  nodeArgs: string[],
  cwd: string,
): Promise<Service> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, join(ROOT, 'dist', 'main.js')], {
    cwd, // not the repo: a developer's .env must not leak into the measured configuration
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      SERVER_PORT: String(port),
      PUBLIC_BASE_URL: baseUrl,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collectOutput(child);
  let portOpenMs = -1;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`the service exited (${child.exitCode}) before ready:\n${output()}`);
    if (performance.now() - started > 60000) {
      child.kill('SIGKILL');
      throw new Error(`the service was not ready within 60 s:\n${output()}`);
    }
    const status = await probe(`${baseUrl}/health/ready`);
    if (status !== 0 && portOpenMs < 0) portOpenMs = performance.now() - started;
    if (status === 200) break;
    await sleep(5);
  }
  const readyMs = performance.now() - started;
  return {
    baseUrl,
    child,
    output,
    startup: { portOpenMs: round(portOpenMs), readyMs: round(readyMs) },
    stop: () => stopChild(child),
  };
}

/**
 * The baseline runs as plain JavaScript (transpiled here with the project's TypeScript), so its
 * process carries no ts-node/TypeScript compiler in memory: lean like a real deployment.
 */
async function startBareBaseline(
  env: Record<string, string>,
  workDir: string,
): Promise<{ baseUrl: string; child: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  const { outputText } = ts.transpileModule(
    readFileSync(join(__dirname, 'bare-baseline.ts'), 'utf8'),
    {
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
      },
    },
  );
  const script = join(workDir, 'bare-baseline.js');
  writeFileSync(script, outputText);
  const child = spawn(process.execPath, [script], {
    cwd: workDir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      BARE_PORT: String(port),
      // The script runs from a temp dir: resolve the driver from this repository.
      NODE_PATH: join(ROOT, 'node_modules'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collectOutput(child);
  const until = Date.now() + 30000;
  while (!/bare-baseline listening/.test(output())) {
    if (child.exitCode !== null || Date.now() > until) {
      child.kill('SIGKILL');
      throw new Error(`the bare baseline did not start:\n${output()}`);
    }
    await sleep(20);
  }
  return { baseUrl: `http://127.0.0.1:${port}`, child, stop: () => stopChild(child) };
}

const CLK_TCK = 100; // Linux USER_HZ

function procRssKb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function procCpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return undefined;
  }
}

/** Busy jiffies of the whole machine (all cores), from /proc/stat. */
function machineBusyTicks(): number | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const idle = fields[3] + (fields[4] ?? 0); // idle + iowait
    return fields.slice(0, 8).reduce((a, b) => a + b, 0) - idle;
  } catch {
    return undefined;
  }
}

interface ProcStats {
  rssMaxMb?: number;
  rssEndMb?: number;
  /** Average CPU over the window, in % of one core. */
  cpuPercent?: number;
}

/** Samples VmRSS (every 100 ms, max kept) and CPU time of some processes over a window. */
class ProcSampler {
  private timer?: NodeJS.Timeout;
  private readonly maxRss = new Map<string, number>();
  private readonly lastRss = new Map<string, number>();
  private readonly startTicks = new Map<string, number>();
  private startedAt = 0;
  private benchCpu = process.cpuUsage();
  private machineStart?: number;

  constructor(private readonly pids: Record<string, number | undefined>) {}

  start(): void {
    this.startedAt = performance.now();
    this.benchCpu = process.cpuUsage();
    this.machineStart = machineBusyTicks();
    for (const [name, pid] of Object.entries(this.pids)) {
      if (pid === undefined) continue;
      const ticks = procCpuTicks(pid);
      if (ticks !== undefined) this.startTicks.set(name, ticks);
    }
    this.sample();
    this.timer = setInterval(() => this.sample(), 100);
  }

  private sample(): void {
    for (const [name, pid] of Object.entries(this.pids)) {
      if (pid === undefined) continue;
      const kb = procRssKb(pid);
      if (kb === undefined) continue;
      this.lastRss.set(name, kb);
      this.maxRss.set(name, Math.max(kb, this.maxRss.get(name) ?? 0));
    }
  }

  stop(): Record<string, ProcStats> {
    clearInterval(this.timer);
    this.sample();
    const seconds = (performance.now() - this.startedAt) / 1000;
    const out: Record<string, ProcStats> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      if (pid === undefined) continue;
      const ticks = procCpuTicks(pid);
      const start = this.startTicks.get(name);
      out[name] = {
        rssMaxMb: this.maxRss.has(name) ? round(this.maxRss.get(name)! / 1024) : undefined,
        rssEndMb: this.lastRss.has(name) ? round(this.lastRss.get(name)! / 1024) : undefined,
        cpuPercent:
          ticks !== undefined && start !== undefined
            ? round(((ticks - start) / CLK_TCK / seconds) * 100)
            : undefined,
      };
    }
    const bench = process.cpuUsage(this.benchCpu);
    out.bench = { cpuPercent: round(((bench.user + bench.system) / 1e6 / seconds) * 100) };
    const machineEnd = machineBusyTicks();
    if (machineEnd !== undefined && this.machineStart !== undefined) {
      const machine = round(((machineEnd - this.machineStart) / CLK_TCK / seconds) * 100);
      const ours = Object.values(out).reduce((sum, p) => sum + (p.cpuPercent ?? 0), 0);
      out.machine = { cpuPercent: machine };
      // Everything else on the machine (other users' tests, the kernel): noise in these figures.
      out.others = { cpuPercent: Math.max(0, round(machine - ours)) };
    }
    return out;
  }
}

/**
 * autocannon abandons the requests in flight when its time is up, but the service (and the
 * database) go on working on them. Waits until the given processes are idle (each under 10% of
 * a core over two consecutive 250 ms windows, at most 60 s) so the next scenario starts clean.
 */
async function waitForIdle(pids: (number | undefined)[]): Promise<number> {
  const started = performance.now();
  let quiet = 0;
  while (quiet < 2 && performance.now() - started < 60000) {
    const before = pids.map((p) => (p === undefined ? undefined : procCpuTicks(p)));
    await sleep(250);
    const busy = pids.some((p, i) => {
      const a = before[i];
      const b = p === undefined ? undefined : procCpuTicks(p);
      return a !== undefined && b !== undefined && (b - a) / CLK_TCK / 0.25 > 0.1;
    });
    quiet = busy ? 0 : quiet + 1;
  }
  return Math.round(performance.now() - started);
}

/** NODE_OPTIONS as deploy/k8s/configmap.yaml ships it (split into flags). */
function manifestNodeOptions(): string[] {
  const text = readFileSync(join(ROOT, 'deploy', 'k8s', 'configmap.yaml'), 'utf8');
  const match = /^\s*NODE_OPTIONS:\s*"([^"]*)"/m.exec(text);
  return match ? match[1].split(' ').filter(Boolean) : [];
}

/** The database child started by startEmbeddedDatabase (found by its data dir). */
function findDatabasePid(dataDir: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(dataDir) && /secantusd|mongod/.test(cmdline)) return Number(entry);
    } catch {
      // gone
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Load generation
// ---------------------------------------------------------------------------------------------

/** The service's own memory view from /metrics (prom-client default metrics), in MB. */
async function serviceMemory(baseUrl: string): Promise<Record<string, number> | undefined> {
  const r = await call(baseUrl, 'GET', '/metrics', {}).catch(() => undefined);
  if (!r || r.status !== 200) return undefined;
  const pick = (name: string) => {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(r.body);
    return m ? round(Number(m[1]) / 1048576) : NaN;
  };
  return {
    rss: pick('process_resident_memory_bytes'),
    heapTotal: pick('nodejs_heap_size_total_bytes'),
    heapUsed: pick('nodejs_heap_size_used_bytes'),
    external: pick('nodejs_external_memory_bytes'),
  };
}

interface ScenarioResult {
  name: string;
  durationS: number;
  requests: number;
  ok2xx: number;
  /** 2xx answers per second: the throughput that counts. */
  rps: number;
  latencyMs: { p50: number; p90: number; p99: number; mean: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  processes: Record<string, ProcStats>;
  /** From the service's /metrics right after the run (before draining). */
  memoryAfter?: Record<string, number>;
  notes: string[];
  ratioToBaseline?: number;
}

type AutocannonRequest = NonNullable<autocannon.Options['requests']>[number];

async function autocannonRun(
  url: string,
  durationS: number,
  req: AutocannonRequest,
): Promise<autocannon.Result> {
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration: durationS,
    timeout: 20,
    requests: [req],
  });
}

async function scenario(
  name: string,
  url: string,
  makeRequest: () => AutocannonRequest,
  sampler: () => ProcSampler,
  drain: () => Promise<number>,
  notes: () => string[] = () => [],
  memoryOf?: () => Promise<Record<string, number> | undefined>,
): Promise<ScenarioResult> {
  process.stdout.write(
    `  ${name}: warm-up ${WARMUP_S} s, then ${DURATION_S} s at ${CONNECTIONS} connections… `,
  );
  if (WARMUP_S > 0) {
    await autocannonRun(url, WARMUP_S, makeRequest());
    await drain();
  }
  const s = sampler();
  s.start();
  const r = await autocannonRun(url, DURATION_S, makeRequest());
  const processes = s.stop();
  const memoryAfter = memoryOf ? await memoryOf() : undefined;
  const drainMs = await drain();
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(r.statusCodeStats ?? {}))
    statusCodes[code] = (stat as { count: number }).count;
  const result: ScenarioResult = {
    name,
    durationS: r.duration,
    requests: r.requests.total,
    ok2xx: r['2xx'],
    rps: round(r['2xx'] / r.duration),
    latencyMs: {
      p50: r.latency.p50,
      p90: r.latency.p90,
      p99: r.latency.p99,
      mean: round(r.latency.mean, 2),
      max: r.latency.max,
    },
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    statusCodes,
    processes,
    memoryAfter,
    notes: notes(),
  };
  if (memoryAfter)
    result.notes.push(
      `service memory at the end: RSS ${memoryAfter.rss} MB = V8 heap ${memoryAfter.heapTotal} MB (used ${memoryAfter.heapUsed}) + external ${memoryAfter.external} MB + code, stacks, native`,
    );
  if (drainMs > 1000)
    result.notes.push(
      `the requests abandoned at the end took ${round(drainMs / 1000)} s more to finish`,
    );
  log(`${result.rps} req/s, p99 ${result.latencyMs.p99} ms`);
  return result;
}

const destinations = Array.from(
  { length: 1000 },
  (_, i) => `+1415765${String(1001 + i).padStart(4, '0')}`,
);

function sendBody(i: number): string {
  return JSON.stringify({
    destinationNumber: destinations[i % destinations.length],
    messageText: `Benchmark message ${i}: your order has shipped.`,
    mediaUrl: MEDIA_URL,
  });
}

interface Created {
  id: string;
  uuid: string;
}

function sendRequest(created: Created[]): AutocannonRequest {
  let n = 0;
  return {
    method: 'POST',
    path: '/send-mms',
    headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
    setupRequest: (req) => ({ ...req, body: sendBody(n++) }),
    onResponse: (status, body) => {
      if (status !== 202) return;
      try {
        const parsed = JSON.parse(body) as {
          messageId: string;
          plivoResponse: { messageUuid: string[] };
        };
        created.push({ id: parsed.messageId, uuid: parsed.plivoResponse.messageUuid[0] });
      } catch {
        // counted by autocannon as a 2xx all the same; the id is just not reused
      }
    },
  };
}

const nonce = () =>
  String(randomInt(1, 10)) + Array.from({ length: 19 }, () => randomInt(10)).join('');
const plivoTime = (d: Date) => `${d.toISOString().replace('T', ' ').replace('Z', '')}000`;

interface SignedCallback {
  path: string;
  body: string;
  headers: Record<string, string>;
}

/** A status callback exactly as the simulator (and Plivo) sends it: form body, V3-signed. */
function signedCallback(
  baseUrl: string,
  authToken: string,
  m: Created,
  status: 'queued' | 'sent' | 'delivered',
  sequence: number,
): SignedCallback {
  const now = new Date();
  const params: Record<string, string> = {
    MessageUUID: m.uuid,
    ParentMessageUUID: m.uuid,
    PartInfo: '1 of 1',
    To: destinations[0].slice(1),
    From: SENDER.slice(1),
    Type: 'mms',
    Status: status,
    Sequence: String(sequence),
    Units: '1',
    TotalRate: '0.02000',
    TotalAmount: '0.02000',
    MCC: '310',
    MNC: '004',
    MessageTime: plivoTime(now),
    QueuedTime: plivoTime(now),
  };
  if (status !== 'queued') params.SentTime = plivoTime(now);
  if (status === 'delivered') params.DeliveryReportTime = plivoTime(now);
  const path = `${STATUS_PATH}?ref=${m.id}`;
  const n = nonce();
  const signature = computeV3Signature({
    method: 'POST',
    url: baseUrl + path,
    params,
    nonce: n,
    authToken,
  });
  return {
    path,
    body: new URLSearchParams(params).toString(),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-plivo-signature-v3': signature,
      'x-plivo-signature-v3-nonce': n,
      'user-agent': 'PlivoHTTP/1.0 (bench)',
    },
  };
}

const LIFECYCLE = ['queued', 'sent', 'delivered'] as const;

/**
 * Every message's lifecycle callbacks (queued, sent, delivered: Sequence 1..3), each once.
 * - `mixed` (the webhook scenario): every stretch of requests has the three statuses in equal
 *   parts (a `queued` arriving after the send answered is recorded but not applied: two
 *   updates; `sent`/`delivered` move the status: one), and one message's three callbacks are
 *   a third of the list apart, so they do not queue behind each other; some arrive out of
 *   order, as on Plivo.
 * - `status-major` (flat-cost mode): all `queued`, then all `sent`, then all `delivered`.
 * Past the end, bodies repeat (replays: the dedupe path).
 */
function callbackEvents(
  baseUrl: string,
  authToken: string,
  created: Created[],
  order: 'mixed' | 'status-major',
): SignedCallback[] {
  const events: SignedCallback[] = [];
  const m = created.length;
  if (order === 'status-major') {
    LIFECYCLE.forEach((status, i) => {
      for (const c of created) events.push(signedCallback(baseUrl, authToken, c, status, i + 1));
    });
    return events;
  }
  const third = Math.floor(m / 3);
  for (let j = 0; j < m; j++) {
    LIFECYCLE.forEach((status, i) => {
      const c = created[(j + i * third) % m];
      events.push(signedCallback(baseUrl, authToken, c, status, i + 1));
    });
  }
  return events;
}

function rotatingRequest(
  items: { path: string; body?: string; headers: Record<string, string> }[],
  method: 'GET' | 'POST',
  counter: { n: number },
  /** Counts the `result` field of 2xx JSON answers (the webhook's applied/recorded/duplicate…). */
  results?: Record<string, number>,
): AutocannonRequest {
  return {
    method,
    ...(results
      ? {
          onResponse: (status: number, body: string) => {
            let result = `HTTP ${status}`;
            try {
              result = (JSON.parse(body) as { result?: string }).result ?? result;
            } catch {
              // not JSON: counted by its status
            }
            results[result] = (results[result] ?? 0) + 1;
          },
        }
      : {}),
    setupRequest: (req) => {
      const item = items[counter.n++ % items.length];
      return {
        ...req,
        method,
        path: item.path,
        headers: item.headers,
        ...(item.body !== undefined ? { body: item.body } : {}),
      };
    },
  };
}

/**
 * What the database alone allows for the send path's writes: the same insert (the pending log)
 * and conditional update (→ queued, with $push) that MessageLogRepository issues per send, from
 * CONNECTIONS concurrent workers over the plain driver, no HTTP, no Nest, no Plivo. Runs on its
 * own collection of the same database, which grows as message_logs does during the send run.
 */
async function databaseCeiling(
  uri: string,
  durationS: number,
): Promise<{ opsPerS: number; p50: number; p99: number; errors: number }> {
  const client = await mongoose.mongo.MongoClient.connect(uri);
  try {
    const col = client.db().collection<Record<string, unknown>>('bench_db_ceiling');
    const latencies: number[] = [];
    let errors = 0;
    const until = performance.now() + durationS * 1000;
    let n = 0;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (performance.now() < until) {
          const started = performance.now();
          const now = new Date();
          try {
            const { insertedId } = await col.insertOne({
              direction: 'outbound',
              channel: 'mms',
              sender: SENDER,
              recipient: destinations[n++ % destinations.length],
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
                statusHistory: {
                  status: 'queued',
                  at: new Date(),
                  source: 'plivo-response',
                  applied: true,
                },
                attemptLog: { at: new Date(), outcome: 'ok', httpStatus: 202 },
              },
            };
            await col.updateOne(
              { _id: insertedId, statusRank: { $lt: 2 } },
              update as unknown as Parameters<typeof col.updateOne>[1],
            );
            latencies.push(performance.now() - started);
          } catch {
            errors++;
          }
        }
      }),
    );
    const st = stats(latencies, errors);
    return { opsPerS: round(latencies.length / durationS), p50: st.p50, p99: st.p99, errors };
  } finally {
    await client.close();
  }
}

async function collectionSize(
  uri: string,
): Promise<{ count: number; sizeBytes: number; avgObjSize: number }> {
  const client = await mongoose.mongo.MongoClient.connect(uri);
  try {
    const st = await client.db().command({ collStats: 'message_logs' });
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

// ---------------------------------------------------------------------------------------------
// Flat-cost mode: sequential latency on an empty vs a seeded collection
// ---------------------------------------------------------------------------------------------

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function call(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; body: string; ms: number }> {
  const started = performance.now();
  return new Promise((done, fail) => {
    const req = request(
      `${baseUrl}${path}`,
      {
        method,
        agent,
        headers: {
          ...headers,
          ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          done({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - started,
          }),
        );
        res.on('error', fail);
      },
    );
    req.setTimeout(600_000, () => req.destroy(new Error('no answer in 600 s')));
    req.on('error', fail);
    req.end(body);
  });
}

interface OpStats {
  samples: number;
  errors: number;
  /** Answers other than the expected status: status (0 = no answer) and time taken. */
  failures?: { status: number; ms: number }[];
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

function stats(latencies: number[], errors: number): OpStats {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] : NaN;
  return {
    samples: sorted.length,
    errors,
    p50: round(at(0.5), 2),
    p99: round(at(0.99), 2),
    mean: round(sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1), 2),
    max: round(sorted[sorted.length - 1] ?? NaN, 2),
  };
}

/** Up to FLAT_SAMPLES sequential requests, stopping after FLAT_BUDGET_MS (at least FLAT_MIN_SAMPLES). */
async function measureOp(
  label: string,
  run: (i: number) => Promise<{ status: number; ms: number }>,
  okStatus: number,
): Promise<OpStats> {
  const latencies: number[] = [];
  const failures: { status: number; ms: number }[] = [];
  const started = performance.now();
  for (let i = 0; i < FLAT_SAMPLES; i++) {
    if (i >= FLAT_MIN_SAMPLES && performance.now() - started > FLAT_BUDGET_MS) break;
    const t = performance.now();
    const r = await run(i).catch(() => ({ status: 0, ms: performance.now() - t }));
    if (r.status === okStatus) latencies.push(r.ms);
    else failures.push({ status: r.status, ms: round(r.ms) });
  }
  const s: OpStats = {
    ...stats(latencies, failures.length),
    ...(failures.length ? { failures } : {}),
  };
  const failed = failures.length
    ? `  (${failures.length} failed: ${failures
        .slice(0, 3)
        .map((f) => `${f.status || 'no answer'} after ${round(f.ms / 1000, 1)} s`)
        .join(', ')})`
    : '';
  log(
    `    ${label.padEnd(27)} n=${String(s.samples).padStart(4)}  p50 ${s.p50} ms  p99 ${s.p99} ms  mean ${s.mean} ms${failed}`,
  );
  return s;
}

function cursorOf(createdAt: string | Date, id: string): string {
  return Buffer.from(`${new Date(createdAt).getTime()}.${id}`).toString('base64url');
}

const FLAT_OPS = ['send', 'callback', 'getById', 'listFirstPage', 'listDeepPage'] as const;

async function flatPhase(
  service: Service,
  authToken: string,
  deepCursor: () => Promise<string>,
  ops: ReadonlySet<string>,
): Promise<Record<string, OpStats>> {
  const json = { 'content-type': 'application/json', 'x-api-key': API_KEY };
  const created: Created[] = [];
  const out: Record<string, OpStats> = {};
  const send = async (i: number) => {
    const r = await call(service.baseUrl, 'POST', '/send-mms', json, sendBody(i));
    if (r.status === 202) {
      const p = JSON.parse(r.body) as {
        messageId: string;
        plivoResponse: { messageUuid: string[] };
      };
      created.push({ id: p.messageId, uuid: p.plivoResponse.messageUuid[0] });
    }
    return r;
  };
  if (ops.has('send')) out.send = await measureOp('POST /send-mms', send, 202);
  else if (ops.has('callback') || ops.has('getById')) await send(0); // a message to work on, not measured
  if ((ops.has('callback') || ops.has('getById')) && created.length === 0)
    throw new Error('flat-cost: no send succeeded');
  if (ops.has('callback')) {
    // Each message gets its `sent` callback (a forward move), then `delivered` if samples remain.
    const events = callbackEvents(service.baseUrl, authToken, created, 'status-major').slice(
      created.length,
    );
    out.callback = await measureOp(
      'POST /webhooks/plivo/status',
      (i) => {
        const e = events[i % events.length];
        return call(service.baseUrl, 'POST', e.path, e.headers, e.body);
      },
      200,
    );
  }
  if (ops.has('getById')) {
    out.getById = await measureOp(
      'GET /messages/:id',
      (i) => call(service.baseUrl, 'GET', `/messages/${created[i % created.length].id}`, json),
      200,
    );
  }
  if (ops.has('listFirstPage')) {
    out.listFirstPage = await measureOp(
      'GET /messages (1st page)',
      () => call(service.baseUrl, 'GET', '/messages?limit=20', json),
      200,
    );
  }
  if (ops.has('listDeepPage')) {
    const cursor = await deepCursor();
    out.listDeepPage = await measureOp(
      'GET /messages (deep cursor)',
      () => call(service.baseUrl, 'GET', `/messages?limit=20&cursor=${cursor}`, json),
      200,
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reporting
// ---------------------------------------------------------------------------------------------

function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  const line = (r: string[]) =>
    `| ${r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join(' | ')} |`;
  return [
    line(cells[0]),
    `|${widths.map((w, c) => (c === 0 ? ':' : '-') + '-'.repeat(w) + (c === 0 ? '-' : ':')).join('|')}|`,
    ...cells.slice(1).map(line),
  ].join('\n');
}

/** CPU time the measured process (service, or the baseline) spent per 2xx answer. */
function cpuMsPerRequest(r: ScenarioResult, proc: ProcStats | undefined): number | string {
  const cpu = proc?.cpuPercent;
  if (cpu === undefined || r.ok2xx === 0) return '-';
  return round(((cpu / 100) * r.durationS * 1000) / r.ok2xx, 2);
}

interface Target {
  target: string;
  measured: string;
  pass: boolean;
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  for (const op of SEEDED_OPS) {
    if (!(FLAT_OPS as readonly string[]).includes(op))
      throw new Error(`--flat-ops: unknown operation ${op} (one of ${FLAT_OPS.join(', ')})`);
  }
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  mkdirSync(RESULTS_DIR, { recursive: true });

  if (!opts['skip-build']) {
    log('Building (npm run build)…');
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  } else if (!existsSync(join(ROOT, 'dist', 'main.js'))) {
    throw new Error('dist/main.js is missing: run npm run build (or drop --skip-build)');
  }

  const workDir = mkdtempSync(join(tmpdir(), 'mms-bench-'));
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse())
      await fn().catch((e: unknown) => log(`cleanup: ${String(e)}`));
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

  // Runs last: after the service and the database have stopped.
  cleanups.push(async () => {
    if (!opts['keep-db']) rmSync(workDir, { recursive: true, force: true });
    else log(`kept ${workDir}`);
  });

  try {
    // --- database ---
    let mongoUri: string;
    let dbKind: string;
    let dbPid: number | undefined;
    let dbStartMs = 0;
    if (process.env.MONGODB_URI) {
      const [base, query] = process.env.MONGODB_URI.split('?');
      const host = /^(mongodb(?:\+srv)?:\/\/[^/]+)/.exec(base)?.[1];
      if (!host) throw new Error('MONGODB_URI must look like mongodb://host[:port][/db]');
      mongoUri = `${host}/mms_bench_${startedAt.getTime()}${query ? `?${query}` : ''}`;
      dbKind = 'external (MONGODB_URI)';
      cleanups.push(async () => {
        const client = await mongoose.mongo.MongoClient.connect(mongoUri);
        await client.db().dropDatabase();
        await client.close();
      });
    } else {
      const dataDir = join(workDir, 'db');
      const t = performance.now();
      const db: EmbeddedDatabase = await startEmbeddedDatabase({ dataDir, log });
      dbStartMs = round(performance.now() - t);
      mongoUri = `${db.uri}/mms_bench`;
      dbKind =
        db.kind === 'secantusdb' ? 'SecantusDB (secantusd-rs), embedded' : 'mongod, embedded';
      dbPid = findDatabasePid(dataDir);
      cleanups.push(() => db.stop());
    }

    // --- Plivo simulator ---
    const authToken = randomBytes(24).toString('base64url');
    const simulator = new PlivoSimulator({
      authId: AUTH_ID,
      authToken,
      // Off by default: callbacks would be webhook traffic competing with the send benchmark
      // (the webhook scenario measures that path on its own). 1 h = never during a run;
      // stop()/reset() cancel the timers.
      callbackDelayMs: opts.callbacks ? 100 : 3_600_000,
    });
    const plivoUrl = await simulator.start();
    simulator.setLatency(PLIVO_LATENCY_MS);
    cleanups.push(() => simulator.stop());
    const resetSimulator = () => {
      simulator.reset(); // drops the recorded requests (memory) and pending callbacks
      simulator.setLatency(PLIVO_LATENCY_MS);
    };

    const serviceEnv: Record<string, string> = {
      NODE_ENV: 'production',
      API_KEYS: API_KEY,
      THROTTLE_LIMIT: '100000000',
      WEBHOOK_THROTTLE_LIMIT: '100000000',
      LOG_LEVEL: 'warn',
      METRICS_ENABLED: 'true',
      SHUTDOWN_DELAY_MS: '0',
      PLIVO_AUTH_ID: AUTH_ID,
      PLIVO_AUTH_TOKEN: authToken,
      PLIVO_SENDER_NUMBER: SENDER,
      PLIVO_API_URL: plivoUrl,
      MONGODB_URI: mongoUri,
      // Production turns the media preflight on (a HEAD to every media URL); the bench machine
      // has no internet and the preflight is not what this measures.
      MEDIA_PREFLIGHT: 'false',
    };
    const profileName = `service-${stamp}.cpuprofile`;
    /**
     * Node flags for every start of the service: the ConfigMap's NODE_OPTIONS (the settings the
     * manifests ship), then --service-node-args, e.g. "--max-old-space-size=128".
     */
    const extraNodeArgs = [
      ...manifestNodeOptions(),
      ...opts['service-node-args']!.split(' ').filter(Boolean),
    ];
    const nodeArgs = [
      ...extraNodeArgs,
      ...(opts.profile
        ? ['--cpu-prof', `--cpu-prof-dir=${RESULTS_DIR}`, `--cpu-prof-name=${profileName}`]
        : []),
    ];

    log(
      `Plivo simulator at ${plivoUrl} (latency ${PLIVO_LATENCY_MS} ms, callbacks ${opts.callbacks ? 'on' : 'off'}); database: ${dbKind}${dbStartMs ? ` (started in ${dbStartMs} ms)` : ''}`,
    );
    log(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);
    log(
      `Load average before the run: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} (other processes on this machine skew every figure)`,
    );
    log(
      'Starting the service 3 times (node dist/main.js, NODE_ENV=production): start → first 200 from /health/ready',
    );
    const startups: Service['startup'][] = [];
    for (let i = 0; i < 2; i++) {
      const s = await startService(serviceEnv, extraNodeArgs, workDir);
      startups.push(s.startup);
      log(
        `  #${i + 1}: ready in ${s.startup.readyMs} ms after spawn${i === 0 ? ' (empty database: indexes created)' : ''}`,
      );
      await s.stop();
    }
    const service = await startService(serviceEnv, nodeArgs, workDir);
    cleanups.push(() => service.stop());
    const servicePid = service.child.pid!;
    startups.push(service.startup);
    log(
      `  #3: ready in ${service.startup.readyMs} ms after spawn${opts.profile ? ' (under --cpu-prof)' : ''}; this one takes the load`,
    );
    const worstStartup = Math.max(...startups.map((s) => s.readyMs));
    const drainService = () => waitForIdle([servicePid, dbPid]);
    const memService = () => serviceMemory(service.baseUrl);
    const sampler =
      (extra: Record<string, number | undefined> = {}) =>
      () =>
        new ProcSampler({ service: servicePid, database: dbPid, ...extra });

    const report: Record<string, unknown> = {
      startedAt: startedAt.toISOString(),
      machine: {
        cpus: cpus().length,
        model: cpus()[0]?.model,
        node: process.version,
        platform: process.platform,
      },
      config: {
        durationS: DURATION_S,
        warmupS: WARMUP_S,
        connections: CONNECTIONS,
        plivoLatencyMs: PLIVO_LATENCY_MS,
        callbacks: opts.callbacks,
        database: dbKind,
        profiled: opts.profile,
        serviceNodeArgs: extraNodeArgs,
        serviceEnv: { ...serviceEnv, API_KEYS: '[redacted]', PLIVO_AUTH_TOKEN: '[redacted]' },
      },
      loadAverageBefore: loadavg(),
      startup: { runs: startups, worstReadyMs: worstStartup, databaseStartMs: dbStartMs },
    };
    const targets: Target[] = [
      {
        target: 'start → ready ≤ 2000 ms (database start excluded)',
        measured: `${worstStartup} ms worst of 3 (${startups.map((x) => x.readyMs).join(', ')})`,
        pass: worstStartup <= 2000,
      },
    ];

    if (!FLAT) {
      log(
        `\nScenarios (${DURATION_S} s each after a ${WARMUP_S} s warm-up, ${CONNECTIONS} connections):`,
      );
      // --- bare baseline ---
      const bare = await startBareBaseline(
        {
          BARE_MONGODB_URI: mongoUri,
          PLIVO_API_URL: plivoUrl,
          PLIVO_AUTH_ID: AUTH_ID,
          PLIVO_AUTH_TOKEN: authToken,
          PLIVO_SENDER_NUMBER: SENDER,
        },
        workDir,
      );
      let bareCount = 0;
      const baseline = await scenario(
        'bare baseline',
        bare.baseUrl,
        () => ({
          method: 'POST',
          path: '/send',
          headers: { 'content-type': 'application/json' },
          setupRequest: (req) => ({ ...req, body: sendBody(bareCount++) }),
        }),
        sampler({ baseline: bare.child.pid }),
        () => waitForIdle([bare.child.pid]),
      );
      await bare.stop();
      resetSimulator();

      // --- what the database alone allows for the send path's two writes ---
      process.stdout.write(
        `  database ceiling (the send path's insert + conditional update, plain driver, ${CONNECTIONS} workers, ${DURATION_S} s)… `,
      );
      const dbSampler = sampler()();
      dbSampler.start();
      const ceiling = await databaseCeiling(mongoUri, DURATION_S);
      const ceilingProcs = dbSampler.stop();
      await drainService();
      log(`${ceiling.opsPerS} pairs/s, p99 ${ceiling.p99} ms`);
      report.databaseCeiling = { ...ceiling, processes: ceilingProcs };

      // --- POST /send-mms ---
      const created: Created[] = [];
      const send = await scenario(
        'POST /send-mms',
        service.baseUrl,
        () => sendRequest(created),
        sampler(),
        drainService,
        undefined,
        memService,
      );
      resetSimulator();
      const countAfterSend = created.length;

      // --- POST /webhooks/plivo/status ---
      const events = callbackEvents(service.baseUrl, authToken, created, 'mixed');
      const webhookCounter = { n: 0 };
      const webhookResults: Record<string, number> = {};
      const webhook = await scenario(
        'POST /webhooks/plivo/status',
        service.baseUrl,
        () => rotatingRequest(events, 'POST', webhookCounter, webhookResults),
        sampler(),
        drainService,
        () => [
          `${events.length} distinct signed callbacks (queued/sent/delivered of ${created.length} messages); ${webhookCounter.n} sent in all (warm-up included)${webhookCounter.n > events.length ? `: ${webhookCounter.n - events.length} were replays (dedupe path)` : ''}`,
          `answers (warm-up included): ${Object.entries(webhookResults)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}`,
        ],
        memService,
      );

      // --- GET /messages/:id ---
      const gets = created.map((m) => ({
        path: `/messages/${m.id}`,
        headers: { 'x-api-key': API_KEY },
      }));
      const get = await scenario(
        'GET /messages/:id',
        service.baseUrl,
        () => rotatingRequest(gets, 'GET', { n: 0 }),
        sampler(),
        drainService,
        undefined,
        memService,
      );

      const results = [baseline, send, webhook, get];
      /** The process a row is about: the baseline's own for its row, else the service. */
      const measured = (r: ScenarioResult) =>
        r === baseline ? r.processes.baseline : r.processes.service;
      for (const r of results)
        r.ratioToBaseline = baseline.rps > 0 ? round(r.rps / baseline.rps, 3) : undefined;
      send.notes.push(
        `${countAfterSend} messages created (warm-up included), all logged in MongoDB before Plivo was called`,
      );

      log('');
      log(
        table(
          [
            'scenario',
            'req/s',
            'p50 ms',
            'p99 ms',
            'non-2xx',
            'errors',
            'RSS max MB',
            'CPU %',
            'CPU ms/req',
            'db CPU %',
            'vs baseline',
          ],
          results.map((r) => [
            r.name,
            r.rps,
            r.latencyMs.p50,
            r.latencyMs.p99,
            r.non2xx,
            r.errors + r.timeouts,
            measured(r)?.rssMaxMb ?? '-',
            measured(r)?.cpuPercent ?? '-',
            cpuMsPerRequest(r, measured(r)),
            r.processes.database?.cpuPercent ?? '-',
            r === baseline
              ? '1.000 (bound)'
              : `${(r.ratioToBaseline ?? 0).toFixed(3)} (${round((r.ratioToBaseline ?? 0) * 100)}%)`,
          ]),
        ),
      );
      log(
        `Database ceiling for the send path's writes: ${ceiling.opsPerS} insert+update pairs/s (p50 ${ceiling.p50} ms, p99 ${ceiling.p99} ms, ${ceiling.errors} errors; db CPU ${ceilingProcs.database?.cpuPercent ?? '-'}%): POST /send-mms reached ${ceiling.opsPerS ? round((100 * send.rps) / ceiling.opsPerS) : '-'}% of it`,
      );
      log(
        '(RSS and CPU: of the baseline process in its row, of the service in the others; CPU % is of one core; the load generator and the simulator share the bench process:',
      );
      log(
        `  its CPU was ${results.map((r) => `${r.processes.bench.cpuPercent}%`).join(' / ')} in the four scenarios;`,
      );
      log(
        `  other processes on the machine used ${results.map((r) => `${r.processes.others?.cpuPercent ?? '?'}%`).join(' / ')} of the ${cpus().length * 100}% available)`,
      );
      for (const r of results) for (const note of r.notes) log(`  ${r.name}: ${note}`);

      const rssMax = Math.max(
        ...[send, webhook, get].map((r) => r.processes.service?.rssMaxMb ?? 0),
      );
      targets.push(
        {
          target: `POST /send-mms ≥ 0.8× the bare baseline req/s at ${CONNECTIONS} connections`,
          measured: `${round(send.ratioToBaseline ?? 0, 3)}× (${send.rps} vs ${baseline.rps} req/s)`,
          pass: (send.ratioToBaseline ?? 0) >= 0.8 && CONNECTIONS >= 50,
        },
        {
          target: 'POST /send-mms without errors',
          measured: `${send.non2xx} non-2xx, ${send.errors + send.timeouts} errors`,
          pass: send.non2xx + send.errors + send.timeouts === 0,
        },
        {
          target: 'webhooks ≥ 2× POST /send-mms req/s',
          measured: `${round(webhook.rps / (send.rps || 1), 2)}× (${webhook.rps} vs ${send.rps} req/s)`,
          pass: webhook.rps >= 2 * send.rps,
        },
        {
          target: 'service RSS under load ≤ 200 MB',
          measured: `${rssMax} MB max`,
          pass: rssMax <= 200,
        },
      );
      report.scenarios = results;
    } else {
      // --- flat-cost mode ---
      log(
        `\nFlat-cost mode: sequential requests (≤ ${FLAT_SAMPLES} per operation, ≤ ${FLAT_BUDGET_MS / 1000} s each), empty collection, then ${SEED_COUNT.toLocaleString('en-US')} seeded messages`,
      );
      log('  empty collection:');
      let emptyDeep = '';
      const emptySampler = sampler()();
      emptySampler.start();
      const empty = await flatPhase(
        service,
        authToken,
        async () => {
          // The middle of what this phase created: as deep as an "empty" collection goes.
          const r = await call(service.baseUrl, 'GET', '/messages?limit=100', {
            'x-api-key': API_KEY,
          });
          const items = (JSON.parse(r.body) as { items: { id: string; createdAt: string }[] })
            .items;
          const mid = items[Math.floor(items.length / 2)];
          emptyDeep = cursorOf(mid.createdAt, mid.id);
          return emptyDeep;
        },
        new Set(FLAT_OPS),
      );
      const emptyProcs = emptySampler.stop();
      resetSimulator();
      log(
        `  seeding ${SEED_COUNT.toLocaleString('en-US')} messages (insertMany, batches of 10,000)…`,
      );
      const seedSampler = sampler()();
      seedSampler.start();
      const seed: SeedResult = await seedMessages({ uri: mongoUri, count: SEED_COUNT, log });
      const seedProcs = seedSampler.stop();
      const dbSize = await collectionSize(mongoUri);
      log(
        `  seeded in ${round(seed.durationMs / 1000)} s (${seed.docsPerSecond} docs/s); message_logs: ${dbSize.count.toLocaleString('en-US')} documents, ${round(dbSize.sizeBytes / 1048576)} MB (avg ${dbSize.avgObjSize} bytes as stored)`,
      );
      log(
        `  seeded collection (${SEED_COUNT.toLocaleString('en-US')} + the empty phase's messages):`,
      );
      const seededSampler = sampler()();
      seededSampler.start();
      const skipped = FLAT_OPS.filter((op) => !SEEDED_OPS.has(op));
      if (skipped.length)
        log(`    (not measured on the seeded collection: ${skipped.join(', ')}; --flat-ops)`);
      const seeded = await flatPhase(
        service,
        authToken,
        async () => cursorOf(seed.middle.createdAt, seed.middle.id),
        SEEDED_OPS,
      );
      const seededProcs = seededSampler.stop();
      log(
        `  max RSS: service ${emptyProcs.service?.rssMaxMb} → ${seededProcs.service?.rssMaxMb} MB, database ${emptyProcs.database?.rssMaxMb ?? '-'} → ${seededProcs.database?.rssMaxMb ?? '-'} MB (empty → seeded phase)`,
      );
      const rows = Object.keys(seeded).map((op) => {
        const e = empty[op];
        const s = seeded[op];
        // No successful sample (e.g. every request timed out): the time a failure took is a lower bound.
        const lowerBound =
          s.samples === 0 && s.failures?.length
            ? Math.min(...s.failures.map((f) => f.ms))
            : undefined;
        const ratioP50 = round((lowerBound ?? s.p50) / e.p50, 2);
        return {
          op,
          empty: e,
          seeded: s,
          ratioP50,
          ratioMean: round((lowerBound ?? s.mean) / e.mean, 2),
          lowerBound: lowerBound !== undefined,
        };
      });
      const ratioText = (r: (typeof rows)[number], v: number) => `${r.lowerBound ? '≥ ' : ''}${v}×`;
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
      for (const r of rows) {
        targets.push({
          target: `${r.op}: seeded p50 ≤ 1.5× empty p50`,
          measured: `${ratioText(r, r.ratioP50)} (${r.empty.p50} → ${r.lowerBound ? `no answer within ${round(Math.min(...r.seeded.failures!.map((f) => f.ms)) / 1000)} s` : `${r.seeded.p50} ms`})`,
          pass: r.ratioP50 <= 1.5,
        });
      }
      report.flat = {
        seed: { ...seed, batchSize: 10_000, collection: dbSize, processes: seedProcs },
        samplesPerOp: FLAT_SAMPLES,
        budgetS: FLAT_BUDGET_MS / 1000,
        minSamples: FLAT_MIN_SAMPLES,
        processes: { empty: emptyProcs, seeded: seededProcs },
        rows,
      };
    }

    // --- stop the service (writes the CPU profile) ---
    await drainService();
    const rssEnd = procRssKb(servicePid);
    await service.stop();
    if (service.child.exitCode !== 0)
      log(
        `note: the service exited with ${service.child.exitCode ?? service.child.signalCode}; last output:\n${service.output().slice(-2000)}`,
      );
    else if (service.output().trim())
      log(
        `service output (warn and above):\n${service.output().trim().split('\n').slice(-10).join('\n')}`,
      );
    report.serviceRssAtEndMb = rssEnd !== undefined ? round(rssEnd / 1024) : undefined;

    let profile: ProfileSummary | undefined;
    if (opts.profile) {
      const file = join(RESULTS_DIR, profileName);
      for (let i = 0; i < 50 && !existsSync(file); i++) await sleep(100);
      if (existsSync(file)) {
        profile = summarizeCpuProfile(file, 25);
        log('');
        log(formatProfileSummary(profile));
      } else log(`no CPU profile found at ${file}`);
      report.profile = profile;
    }

    log('');
    log(
      table(
        ['target', 'measured', 'result'],
        targets.map((t) => [t.target, t.measured, t.pass ? 'PASS' : 'FAIL']),
      ),
    );
    if (opts.profile) log("(profiled run: the numbers include the profiler's overhead)");
    report.targets = targets;
    const out = join(RESULTS_DIR, `${stamp}${FLAT ? `-flat-${SEED_COUNT}` : ''}.json`);
    writeFileSync(out, JSON.stringify(report, null, 2));
    log(`\nResults: ${out}`);
  } finally {
    await cleanup();
    agent.destroy();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
