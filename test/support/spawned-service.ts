import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { freePort } from '../../src/sandbox/embedded-database';

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

/**
 * Runs src/main.ts as its own process, exactly as `npm start` does minus the build (ts-node,
 * transpile only), so signals, exit codes and stdout can be observed.
 */
export async function spawnService(env: Record<string, string>): Promise<SpawnedService> {
  const port = await freePort();
  let output = '';
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      TS_NODE_PROJECT: 'tsconfig.json',
      SERVER_PORT: String(port),
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
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
