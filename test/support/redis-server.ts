import { ChildProcess, spawn } from 'node:child_process';
import { Socket } from 'node:net';
import { freePort } from '../../src/sandbox/embedded-database';

/** A real redis-server (Debian's package; .ci/run installs it) on a free loopback port. */
export async function startRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (e) =>
      reject(
        new Error(`redis-server could not be started (apt-get install redis-server): ${e.message}`),
      ),
    ),
  );
  await Promise.race([waitForPort(port), spawnError]);
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const open = await new Promise<boolean>((done) => {
      const s = new Socket();
      s.once('connect', () => (s.destroy(), done(true)));
      s.once('error', () => (s.destroy(), done(false)));
      s.connect(port, '127.0.0.1');
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not open port ${port}`);
}
