/**
 * The processes a run measures: the built service (`node dist/main.js`, after
 * `node dist/db-indexes.js`) and the two baselines (bare, same-stack),
 * each started in a temp dir and waited for, stopped with SIGTERM (SIGKILL after 15 s); and the
 * wait for them to go idle between scenarios.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import ts from 'typescript';
import { freePort } from '../sandbox/embedded-database';
import { ROOT } from './fixtures';
import { procCpuTicks, round, ticksToCores } from './stats';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface Service {
  baseUrl: string;
  child: ChildProcess;
  output(): string;
  startup: { portOpenMs: number; readyMs: number };
  stop(): Promise<void>;
}

export interface Baseline {
  baseUrl: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/**
 * A file in the run's temp dir for a child's stdout and stderr, and a reader of its last 20,000
 * characters. A file, not a pipe to the bench: the bench's event loop is busy generating load
 * and would drain a pipe late; a full pipe makes the child's log writes wait or retry (pino's
 * sonic-boom retries on EAGAIN), which a container's log driver does not impose. With the
 * request logs at info (one line per request) that would be charged to the measured process.
 */
let logFiles = 0;
function outputFile(workDir: string, name: string): { fd: number; output(): string } {
  const dir = join(workDir, 'logs');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}-${++logFiles}.log`);
  const fd = openSync(file, 'a');
  return {
    fd,
    output: () => {
      const size = statSync(file).size;
      const length = Math.min(size, 20000);
      const buffer = Buffer.alloc(length);
      const reader = openSync(file, 'r');
      try {
        readSync(reader, buffer, 0, length, size - length);
      } finally {
        closeSync(reader);
      }
      return buffer.toString('utf8');
    },
  };
}

/** Spawns node with its output to a file (outputFile); the parent's copy of the fd is closed. */
function spawnNode(
  args: string[],
  cwd: string,
  env: Record<string, string>,
  logName: string,
): { child: ChildProcess; output(): string } {
  const log = outputFile(cwd, logName);
  const child = spawn(process.execPath, args, {
    cwd,
    env: childEnv(env),
    stdio: ['ignore', log.fd, log.fd],
  });
  closeSync(log.fd);
  return { child, output: log.output };
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

/** A child's environment: only PATH and HOME of ours, then `env`. */
function childEnv(env: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env };
}

/**
 * `npm run db:indexes` (node dist/db-indexes.js) against the bench's database, as the
 * Deployment's init container runs it before the service: production mode builds no index at
 * start and refuses to start without them. Returns how long it took, in ms.
 */
export function buildIndexes(env: Record<string, string>, cwd: string): number {
  const started = performance.now();
  execFileSync(process.execPath, [join(ROOT, 'dist', 'db-indexes.js')], {
    cwd,
    env: childEnv({ MONGODB_URI: env.MONGODB_URI }),
    stdio: 'pipe',
  });
  return round(performance.now() - started);
}

/** Starts `node dist/main.js` and times spawn → port open → first 200 from /health/ready. */
export async function startService(
  env: Record<string, string>,
  nodeArgs: string[],
  cwd: string,
): Promise<Service> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const { child, output } = spawnNode(
    [...nodeArgs, join(ROOT, 'dist', 'main.js')],
    cwd, // not the repo: a developer's .env must not leak into the measured configuration
    { SERVER_PORT: String(port), PUBLIC_BASE_URL: baseUrl, ...env },
    'service',
  );
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

/** A baseline: the bare one (bench/bare-baseline.ts) or the same-stack one (bench/lean-baseline/). */
export type BaselineKind = 'bare' | 'lean';

const BASELINES: Record<BaselineKind, { files: string[]; entry: string; portVar: string }> = {
  bare: { files: ['bare-baseline.ts'], entry: 'bare-baseline.js', portVar: 'BARE_PORT' },
  lean: {
    files: readdirSync(join(__dirname, 'lean-baseline'))
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))
      .map((f) => `lean-baseline/${f}`),
    entry: 'lean-baseline/lean-main.js',
    portVar: 'LEAN_PORT',
  },
};

/**
 * Transpiles bench files (and the profiler hook) with the project's TypeScript into
 * `<workDir>/dist/bench/`, as plain CommonJS: the baselines' processes carry no ts-node or
 * TypeScript compiler in memory (lean like a real deployment), and a CPU profile names their
 * frames `app:bench/…`, as it names the service's `app:…`.
 */
export function transpileBenchFiles(files: string[], workDir: string): string {
  const outDir = join(workDir, 'dist', 'bench');
  for (const file of files) {
    const { outputText } = ts.transpileModule(readFileSync(join(__dirname, file), 'utf8'), {
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
      },
    });
    const out = join(outDir, file.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, outputText);
  }
  return outDir;
}

/** Starts a baseline in its own process and waits for its `… listening` line. */
export async function startBaseline(
  kind: BaselineKind,
  env: Record<string, string>,
  workDir: string,
  nodeArgs: string[] = [],
): Promise<Baseline> {
  const port = await freePort();
  const { files, entry, portVar } = BASELINES[kind];
  const script = join(transpileBenchFiles(files, workDir), entry);
  const { child, output } = spawnNode(
    [...nodeArgs, script],
    workDir,
    {
      [portVar]: String(port),
      // The scripts run from a temp dir: resolve their packages from this repository.
      NODE_PATH: join(ROOT, 'node_modules'),
      ...env,
    },
    `${kind}-baseline`,
  );
  const until = Date.now() + 30000;
  while (!new RegExp(`${kind}-baseline listening`).test(output())) {
    if (child.exitCode !== null || Date.now() > until) {
      child.kill('SIGKILL');
      throw new Error(`the ${kind} baseline did not start:\n${output()}`);
    }
    await sleep(20);
  }
  return { baseUrl: `http://127.0.0.1:${port}`, child, output, stop: () => stopChild(child) };
}

/**
 * autocannon abandons the requests in flight when its time is up, but the service (and the
 * database) go on working on them. Waits until the given processes are idle (each under 10% of
 * a core over two consecutive 250 ms windows, at most 60 s) so the next scenario starts clean.
 * Resolves to the time waited (ms).
 */
export async function waitForIdle(pids: (number | undefined)[]): Promise<number> {
  const started = performance.now();
  const ticks = () => pids.map((p) => (p === undefined ? undefined : procCpuTicks(p)));
  let quiet = 0;
  while (quiet < 2 && performance.now() - started < 60000) {
    const before = ticks();
    await sleep(250);
    const after = ticks();
    const busy = before.some((a, i) => {
      const b = after[i];
      return a !== undefined && b !== undefined && ticksToCores(b - a, 0.25) > 0.1;
    });
    quiet = busy ? 0 : quiet + 1;
  }
  return Math.round(performance.now() - started);
}

/** The database child started by startEmbeddedDatabase (found by its data dir). */
export function findDatabasePid(dataDir: string): number | undefined {
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
