import { ChildProcess, spawn } from 'node:child_process';
import { freePort, waitForPort } from '../../sandbox/embedded-database';

/** A real redis-server (Debian's package; the e2e set-up installs it) on a free loopback port. */
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
  await Promise.race([waitForPort(port, 10000, () => child.exitCode !== null), spawnError]);
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
