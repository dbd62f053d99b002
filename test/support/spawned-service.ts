import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../sandbox/embedded-database';

export interface SpawnedService {
  baseUrl: string;
  child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
  kill(): void;
}

const ROOT = resolve(__dirname, '..', '..');

export interface SpawnOptions {
  /**
   * The entry point, relative to the repository or absolute (default: the production one,
   * src/main.ts). A .ts file runs through ts-node (transpile only), a .js file as it is.
   */
  entry?: string;
  /** The working directory, where a `.env` would be read (default: a fresh empty folder). */
  cwd?: string;
}

/**
 * Runs an entry point as its own process through ts-node (transpile only), so signals, exit
 * codes and stdout can be observed. It starts in an empty folder unless told otherwise, so a
 * developer's .env cannot change what a test sees.
 */
export async function spawnService(
  env: Record<string, string>,
  options: SpawnOptions = {},
): Promise<SpawnedService> {
  const port = await freePort();
  let output = '';
  const cwd = options.cwd ?? mkdtempSync(join(tmpdir(), 'mms-spawn-'));
  const entry = resolve(ROOT, options.entry ?? 'src/main.ts');
  const tsNode = require.resolve('ts-node/register/transpile-only');
  const args = entry.endsWith('.ts') ? ['-r', tsNode, entry] : [entry];
  const child = spawn(process.execPath, args, {
    cwd,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      TS_NODE_PROJECT: resolve(ROOT, 'tsconfig.json'),
      SERVER_PORT: String(port),
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      // Each test's database starts empty and nothing runs `npm run db:indexes` first: build the
      // indexes at start, as outside production (production mode otherwise refuses to start
      // without them). The tests of those settings pass their own values.
      MONGODB_AUTO_INDEX: 'true',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((done) =>
    child.once('exit', (code, signal) => done(code ?? signal ?? 'unknown')),
  );
  const service: SpawnedService = {
    baseUrl: `http://127.0.0.1:${port}`,
    child,
    output: () => output,
    exited,
    async waitForOutput(pattern, timeoutMs = 30000) {
      const until = Date.now() + timeoutMs;
      while (!pattern.test(output)) {
        if (child.exitCode !== null)
          throw new Error(
            `service exited (${child.exitCode}) before printing ${pattern}:\n${output}`,
          );
        if (Date.now() > until)
          throw new Error(`service did not print ${pattern} within ${timeoutMs} ms:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    kill: () => void (child.exitCode === null && child.kill('SIGKILL')),
  };
  return service;
}

/** A new database on the run's MongoDB-wire server (the e2e globalSetup starts it). */
export function testDatabaseUri(prefix: string): string {
  const uri = new URL(process.env.TEST_MONGODB_SERVER!);
  uri.pathname = `/${prefix}_${process.pid}_${Date.now()}`;
  return uri.toString();
}

/** The METRICS_TOKEN of productionEnv (production requires one while metrics are on). */
export const PRODUCTION_METRICS_TOKEN = 'spawned-metrics-token-0123456789';

export interface ProductionSettings {
  mongodbUri: string;
  /** The test's Plivo simulator and the credentials it was started with. */
  plivo: { baseUrl: string; authId: string; authToken: string };
  apiKeys: string;
}

/**
 * The service as it runs in production (NODE_ENV=production, real settings, no sandbox) against
 * the test's simulator; `extra` adds or overrides. The media preflight is off: the tests' media
 * hosts do not exist on this closed network. No shutdown delay unless a test asks for one.
 */
export function productionEnv(
  settings: ProductionSettings,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    NODE_ENV: 'production',
    MONGODB_URI: settings.mongodbUri,
    PLIVO_AUTH_ID: settings.plivo.authId,
    PLIVO_AUTH_TOKEN: settings.plivo.authToken,
    PLIVO_SENDER_NUMBER: '+14155550100',
    PLIVO_API_URL: settings.plivo.baseUrl,
    API_KEYS: settings.apiKeys,
    METRICS_TOKEN: PRODUCTION_METRICS_TOKEN,
    MEDIA_PREFLIGHT: 'false',
    SHUTDOWN_DELAY_MS: '0',
    // Plivo's default rates would hold every second send for 4 s: off unless a test sets them.
    PACING_ACCOUNT_MMS_PER_SECOND: '0',
    PACING_ACCOUNT_SMS_PER_SECOND: '0',
    ...extra,
  };
}

/**
 * Spawns the production service (productionEnv) and waits until it listens; `started` collects
 * it, so the spec's afterAll kills every one (the tests kill and restart it on one database).
 */
export async function startProductionService(
  settings: ProductionSettings,
  extra: Record<string, string>,
  started: SpawnedService[],
): Promise<SpawnedService> {
  const service = await spawnService(productionEnv(settings, extra));
  started.push(service);
  await service.waitForOutput(/listening on port/);
  return service;
}
