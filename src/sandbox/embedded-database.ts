import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

export interface EmbeddedDatabase {
  uri: string;
  kind: 'mongod' | 'ferretdb';
  stop(): Promise<void>;
}

/**
 * Starts a local MongoDB-wire server for sandbox mode and tests: a real `mongod` when one is on
 * PATH, else FerretDB 1.24 on SQLite (built by scripts/install-ferretdb.sh when Go is present).
 * mongodb-memory-server is not used: it downloads a mongod binary, which closed networks refuse.
 */
export async function startEmbeddedDatabase(options: {
  dataDir: string;
  port?: number;
  log?: (line: string) => void;
}): Promise<EmbeddedDatabase> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const port = options.port ?? (await freePort());
  const log = options.log ?? (() => undefined);

  const mongod = findOnPath('mongod');
  let child: ChildProcess;
  let kind: EmbeddedDatabase['kind'];
  if (mongod) {
    kind = 'mongod';
    child = spawn(
      mongod,
      ['--dbpath', dataDir, '--port', String(port), '--bind_ip', '127.0.0.1', '--quiet'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } else {
    kind = 'ferretdb';
    const ferretdb = findFerretDb() ?? installFerretDb(log);
    child = spawn(
      ferretdb,
      [
        '--handler=sqlite',
        `--sqlite-url=file:${dataDir}/`,
        `--listen-addr=127.0.0.1:${port}`,
        '--telemetry=disable',
        '--state-dir=-',
        '--log-level=warn',
        '--debug-addr=-',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  }
  // Do not keep the parent's event loop alive on the server's account (a test runner or the
  // sandbox decides when to stop it, through stop()).
  child.unref();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));

  try {
    await waitForPort(port, 20000, () => child.exitCode !== null);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(
      `${kind} did not start on port ${port}: ${(error as Error).message}\n${stderr}`,
    );
  }
  return {
    uri: `mongodb://127.0.0.1:${port}`,
    kind,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    },
  };
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

function goBinDir(): string | undefined {
  try {
    return join(execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim(), 'bin');
  } catch {
    return undefined;
  }
}

function findFerretDb(): string | undefined {
  const onPath = findOnPath('ferretdb');
  if (onPath) return onPath;
  const goBin = goBinDir();
  const candidates = [goBin && join(goBin, 'ferretdb'), join(homedir(), 'go', 'bin', 'ferretdb')];
  return candidates.find((c): c is string => !!c && existsSync(c));
}

function installFerretDb(log: (line: string) => void): string {
  const script = resolve(__dirname, '..', '..', 'scripts', 'install-ferretdb.sh');
  if (!goBinDir() || !existsSync(script)) {
    throw new Error(
      'No MongoDB-compatible server found. Set MONGODB_URI to a MongoDB server, put `mongod` on PATH, ' +
        'or install Go and run scripts/install-ferretdb.sh (FerretDB 1.24 on SQLite).',
    );
  }
  log('FerretDB not found: building it with scripts/install-ferretdb.sh (about a minute)…');
  execFileSync('bash', [script], { stdio: 'inherit' });
  const installed = findFerretDb();
  if (!installed)
    throw new Error('scripts/install-ferretdb.sh ran but no ferretdb binary was found');
  return installed;
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
