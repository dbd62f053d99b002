import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { chooseDatabaseServer, findOnPath } from '../../sandbox/embedded-database';

interface Need {
  command: string;
  pkg: string;
  why: string;
  present: () => boolean;
}

const onPath = (command: string) => findOnPath(command) !== undefined;

/** The database stand-in must still be built (no MONGODB_URI, no mongod, not built yet). */
function standInToBuild(): boolean {
  const server = chooseDatabaseServer();
  if (server.kind !== 'secantusdb' || server.command) return false;
  const script = resolve(__dirname, '..', '..', 'scripts', 'install-secantusdb.sh');
  try {
    execFileSync('bash', [script, '--check'], { stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
}

/**
 * Schemathesis is not installed yet and nothing here can make its virtualenv: no uv, and no
 * python3 with venv and ensurepip (Debian ships those in python3-venv).
 */
function schemathesisCannotInstall(): boolean {
  const script = resolve(__dirname, '..', '..', 'scripts', 'install-schemathesis.sh');
  try {
    execFileSync('bash', [script, '--check'], { stdio: 'ignore' });
    return false;
  } catch {
    if (onPath('uv')) return false;
    try {
      execFileSync('python3', ['-c', 'import ensurepip, venv'], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  }
}

/** What the e2e suite runs that is not an npm package, and the Debian package that has it. */
function needs(): Need[] {
  const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  const list: Need[] = [
    {
      command: 'redis-server',
      pkg: 'redis-server',
      why: 'the shared rate limit across replicas',
      present: () => onPath('redis-server'),
    },
    {
      command: chromium,
      pkg: 'chromium',
      why: 'the Swagger UI browser test (playwright-core)',
      present: () => existsSync(chromium),
    },
  ];
  if (schemathesisCannotInstall())
    list.push({
      command: 'python3 -m venv',
      pkg: 'python3-venv',
      why: 'installing Schemathesis (test/e2e/schemathesis.e2e-spec.ts)',
      present: () => false,
    });
  if (standInToBuild())
    for (const [command, pkg] of [
      ['cc', 'gcc'],
      ['make', 'make'],
      ['cmake', 'cmake'],
    ])
      list.push({
        command,
        pkg,
        why: 'building the database stand-in (WiredTiger)',
        present: () => onPath(command),
      });
  return list;
}

/**
 * Installs what is missing with apt-get when this is a root shell on Debian (a fresh CI or
 * developer machine); otherwise stops the run at once with the exact command to run.
 */
export function ensureSystemPackages(log: (line: string) => void): void {
  const missing = needs().filter((n) => !n.present());
  if (missing.length === 0) return;
  const pkgs = missing.map((m) => m.pkg);
  const canInstall = process.getuid?.() === 0 && onPath('apt-get');
  const command = `apt-get install -y ${pkgs.join(' ')}`;
  if (!canInstall)
    throw new Error(
      `The e2e suite needs ${missing.map((m) => `${m.command} (${m.why})`).join(', ')}. Install with: sudo ${command}`,
    );
  log(`e2e setup: installing ${pkgs.join(', ')} with apt-get (once per machine)…`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', ...pkgs], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  log(`e2e setup: installed ${pkgs.join(', ')}`);
}
