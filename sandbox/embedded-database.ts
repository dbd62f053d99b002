import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import { mongo } from 'mongoose';

/**
 * Which MongoDB server the sandbox, the tests and the bench use. One resolution, in this order:
 *  1. `MONGODB_URI`: that server, started by someone else;
 *  2. a real `mongod`: `MONGOD_PATH`, else `mongod` on PATH;
 *  3. the stand-in: SecantusDB's Rust server `secantusd-rs` (`SECANTUSD_PATH`, else on PATH,
 *     else built on first use by scripts/install-secantusdb.sh into a per-user cache). It passes
 *     test/e2e/database-conformance (atomic conditional and pipeline updates, unique, partial and
 *     TTL indexes, index-planned queries); docs/database.md says why it was
 *     chosen. It is GPL-2.0 and runs as a separate process only.
 * No package here ships a mongod (mongodb-memory-server downloads one at run time, which a
 * closed network refuses).
 */
export type EmbeddedServer =
  { kind: 'mongod'; command: string } | { kind: 'secantusdb'; command?: string };
export type DatabaseServer = { kind: 'uri'; uri: string } | EmbeddedServer;

export function chooseDatabaseServer(env: NodeJS.ProcessEnv = process.env): DatabaseServer {
  if (env.MONGODB_URI?.trim()) return { kind: 'uri', uri: env.MONGODB_URI.trim() };
  return chooseEmbeddedServer(env);
}

/** Steps 2 and 3 of chooseDatabaseServer: the server to start when there is no MONGODB_URI. */
export function chooseEmbeddedServer(env: NodeJS.ProcessEnv = process.env): EmbeddedServer {
  const mongod = env.MONGOD_PATH?.trim() || findOnPath('mongod', env);
  if (mongod) return { kind: 'mongod', command: mongod };
  return {
    kind: 'secantusdb',
    command: env.SECANTUSD_PATH?.trim() || findOnPath('secantusd-rs', env),
  };
}

export interface EmbeddedDatabase {
  /** mongodb://127.0.0.1:<port>, without a database name. */
  uri: string;
  /** secantusdb-interim: the Python server in memory, while the faithful one is being built. */
  kind: 'mongod' | 'secantusdb' | 'secantusdb-interim';
  stop(): Promise<void>;
}

export interface StartOptions {
  dataDir: string;
  port?: number;
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  /**
   * When the stand-in has never been built: build it in the background (log next to dataDir)
   * and serve this run from SecantusDB's Python server in memory, installed in seconds. For
   * the sandbox's first start only; the tests and the bench always wait for the real build.
   */
  interimWhileBuilding?: boolean;
}

/** Starts the server chooseEmbeddedServer() names. */
export async function startEmbeddedDatabase(options: StartOptions): Promise<EmbeddedDatabase> {
  const env = options.env ?? process.env;
  const choice = chooseEmbeddedServer(env);
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const port = options.port ?? (await freePort());
  const log = options.log ?? (() => undefined);

  let command: string;
  let args: string[];
  let kind: EmbeddedDatabase['kind'] = choice.kind;
  if (choice.kind === 'mongod') {
    command = choice.command;
    args = ['--dbpath', dataDir, '--port', String(port), '--bind_ip', '127.0.0.1', '--quiet'];
  } else {
    const check = choice.command
      ? { path: choice.command }
      : await runScript('install-secantusdb.sh', ['--check'], env);
    const buildLog = join(dirname(dataDir), 'secantusdb-build.log');
    // An earlier background build that left no server behind failed: build in the foreground,
    // so its progress and its error are on screen, not in a log nobody reads.
    const failedBefore = !check.path && check.code === 3 && existsSync(buildLog);
    const interim = options.interimWhileBuilding && !check.path && !failedBefore;
    const interimServer = interim
      ? await startInterim(check.code === 4, buildLog, env, log).catch((error: Error) => {
          log(
            `the interim server could not be installed (${error.message}); waiting for the build`,
          );
          return undefined;
        })
      : undefined;
    if (interimServer) {
      command = interimServer;
      kind = 'secantusdb-interim';
      args = ['--host', '127.0.0.1', '--port', String(port), '--storage-path', ':memory:'];
      args.push('--log-level', 'WARNING');
    } else {
      if (failedBefore)
        log(`the previous background build failed (see ${buildLog}); building in the foreground`);
      command =
        check.path ?? printed((await runScript('install-secantusdb.sh', [], env, log)).path);
      // A small cache: a development server, not a production one (WiredTiger's default is 4G).
      args = ['--host', '127.0.0.1', '--port', String(port), '--storage-path', dataDir];
      args.push('--log-level', 'WARNING', '--cache-size', '256M');
    }
  }
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  // The caller (a test runner, the sandbox) decides when the server stops, through stop():
  // the child must not keep the parent's event loop alive on its own account.
  child.unref();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) done();
    child.once('exit', () => done());
    child.once('error', () => done());
  });
  const spawnError = new Promise<string>((done) =>
    child.once('error', (error) => done(error.message)),
  );

  const uri = `mongodb://127.0.0.1:${port}`;
  try {
    await waitUntilReady(uri, child.pid, 60_000, () => child.exitCode !== null, spawnError);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(
      `${kind} (${command}) did not become ready on port ${port}: ${(error as Error).message}\n${stderr}`,
    );
  }
  return {
    uri,
    kind,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/**
 * Ready means OUR server answers through the driver, not merely that its port is open: the
 * suite restarts servers mid-run on a port it released, and must neither race a half-started
 * server nor take another process that grabbed the port for its own (serverStatus.pid).
 */
async function waitUntilReady(
  uri: string,
  pid: number | undefined,
  timeoutMs: number,
  hasExited: () => boolean,
  spawnError: Promise<string>,
): Promise<void> {
  let failed: string | undefined;
  void spawnError.then((message) => (failed = message));
  const until = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < until) {
    if (failed) throw new Error(failed);
    if (hasExited()) throw new Error('the server process exited');
    const client = new mongo.MongoClient(uri, {
      serverSelectionTimeoutMS: 500,
      connectTimeoutMS: 500,
      directConnection: true,
    });
    try {
      const status = await client.db('admin').command({ serverStatus: 1 });
      if (pid !== undefined && status.pid !== undefined && Number(status.pid) !== pid)
        throw new Error(`port taken by another server (pid ${String(status.pid)})`);
      return;
    } catch (error) {
      last = (error as Error).message;
    } finally {
      await client.close().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no answer to ping within ${timeoutMs} ms (${last})`);
}

const SCRIPTS = resolve(__dirname, '..', 'scripts');

/** The scripts' own variables, from the sandbox's environment (.env included). */
function scriptEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const pick = (name: string) => env[name]?.trim() || undefined;
  return {
    ...process.env,
    SECANTUSDB_HOME: pick('SECANTUSDB_HOME'),
    SECANTUSDB_PY_HOME: pick('SECANTUSDB_PY_HOME'),
  };
}

/**
 * Runs an install script (idempotent), relaying its progress lines; resolves with the path it
 * prints last, or with its exit code 3 or 4 (`--check`: not installed; a build is running).
 */
function runScript(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  log: (line: string) => void = () => undefined,
): Promise<{ path?: string; code?: number }> {
  const script = join(SCRIPTS, name);
  if (!existsSync(script))
    throw new Error(`No MongoDB server: set MONGODB_URI, MONGOD_PATH or SECANTUSD_PATH`);
  return new Promise((done, fail) => {
    const options = { maxBuffer: 16 * 1024 * 1024, env: scriptEnv(env) };
    const child = execFile('bash', [script, ...args], options, (error, stdout) => {
      if (error && (error.code === 3 || error.code === 4)) return done({ code: error.code });
      if (error) return fail(new Error(`${script} failed: ${error.message}`));
      done({ path: stdout.trim().split('\n').pop()! });
    });
    let pending = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) if (line.trim()) log(line);
    });
  });
}

function printed(path: string | undefined): string {
  if (!path) throw new Error('the install script printed no server path');
  return path;
}

/**
 * The first start on a machine: the faithful server builds in the background (unless a build
 * is already running) while SecantusDB's Python server, installed in seconds, serves in memory.
 */
async function startInterim(
  buildRunning: boolean,
  buildLog: string,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<string> {
  if (!buildRunning) buildInBackground(buildLog, env);
  log(
    `the embedded MongoDB server (SecantusDB, secantusd-rs) is being built in the background, once (about 8 minutes; progress in ${buildLog}); until it is ready, starts use an interim server in memory: data is not kept`,
  );
  return printed((await runScript('install-secantusdb-py.sh', [], env, log)).path);
}

/** Starts the faithful server's build, detached: it outlives this process if need be. */
function buildInBackground(logFile: string, env: NodeJS.ProcessEnv): void {
  mkdirSync(dirname(logFile), { recursive: true });
  const out = openSync(logFile, 'a');
  const child = spawn('nice', ['-n', '10', 'bash', join(SCRIPTS, 'install-secantusdb.sh')], {
    detached: true,
    stdio: ['ignore', out, out],
    env: scriptEnv(env),
  });
  child.on('error', () => undefined);
  child.unref();
  closeSync(out);
}

export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolvePort(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

export async function waitForPort(
  port: number,
  timeoutMs: number,
  hasExited: () => boolean,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (hasExited()) throw new Error('the process exited');
    const open = await new Promise<boolean>((done) => {
      const socket = new Socket();
      socket.once('connect', () => (socket.destroy(), done(true)));
      socket.once('error', () => (socket.destroy(), done(false)));
      socket.connect(port, '127.0.0.1');
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`port ${port} not open after ${timeoutMs} ms`);
}
