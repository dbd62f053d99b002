import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** What the e2e suite runs that is not an npm package, and the Debian package that has it. */
const NEEDED = [
  { command: 'redis-server', pkg: 'redis-server', why: 'the shared rate limit across replicas' },
  { command: 'chromium', pkg: 'chromium', why: 'the Swagger UI browser test (playwright-core)' },
];

const onPath = (command: string) =>
  (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, command)));

/**
 * Installs what is missing with apt-get when this is a root shell on Debian (a fresh CI or
 * developer machine); otherwise stops the run at once with the exact command to run.
 */
export function ensureSystemPackages(log: (line: string) => void): void {
  const missing = NEEDED.filter((n) => !onPath(n.command));
  if (missing.length === 0) return;
  const pkgs = missing.map((m) => m.pkg);
  const canInstall = process.getuid?.() === 0 && onPath('apt-get');
  if (!canInstall)
    throw new Error(
      `The e2e suite needs ${missing.map((m) => `${m.command} (${m.why})`).join(' and ')}. Install with: sudo apt-get install -y ${pkgs.join(' ')}`,
    );
  log(`e2e setup: installing ${pkgs.join(', ')} with apt-get (once per machine)…`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', ...pkgs], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  log(`e2e setup: installed ${pkgs.join(', ')}`);
}
