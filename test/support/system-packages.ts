import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { chooseDatabaseServer, findOnPath } from '../../sandbox/embedded-database';

interface Need {
  command: string;
  /** The Debian package that has it; none when no package can be named (see `fix`). */
  pkg?: string;
  /** What to do when there is no package to install. */
  fix?: string;
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
 * What Schemathesis still needs here, as the installer judges it (`--can-install`): nothing when
 * it is installed or can be (uv, or Python 3.11 or later with venv and ensurepip); the Debian
 * package for a Python 3.11+ without venv (python3.X-venv); or, with no Python 3.11+ at all
 * (its pinned packages require it), the installer's own message, as no package fits every
 * distribution.
 */
function schemathesisNeed(): Need | undefined {
  const script = resolve(__dirname, '..', '..', 'scripts', 'install-schemathesis.sh');
  const why = 'installing Schemathesis (test/e2e/schemathesis.e2e-spec.ts)';
  const run = spawnSync('bash', [script, '--can-install'], { encoding: 'utf8' });
  if (run.status === 0) return undefined;
  const pkg = run.stdout.trim();
  if (run.status === 4 && pkg)
    return { command: `${pkg.replace(/-venv$/, '')} -m venv`, pkg, why, present: () => false };
  return {
    command: 'Python 3.11 or later',
    fix: run.stderr.trim() || `scripts/install-schemathesis.sh --can-install exited ${run.status}`,
    why,
    present: () => false,
  };
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
    {
      command: 'promtool',
      pkg: 'prometheus',
      why: 'validating deploy/prometheus/alerts.yaml (test/e2e/operations.e2e-spec.ts)',
      present: () => onPath('promtool'),
    },
  ];
  const schemathesis = schemathesisNeed();
  if (schemathesis) list.push(schemathesis);
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
  const pkgs = missing.flatMap((m) => (m.pkg ? [m.pkg] : []));
  const fixes = missing.flatMap((m) => (m.fix ? [m.fix] : []));
  const canInstall = process.getuid?.() === 0 && onPath('apt-get');
  const command = `apt-get install -y ${pkgs.join(' ')}`;
  if (!canInstall || fixes.length > 0)
    throw new Error(
      `The e2e suite needs ${missing.map((m) => `${m.command} (${m.why})`).join(', ')}.` +
        (pkgs.length > 0 ? ` Install with: sudo ${command}` : '') +
        fixes.map((f) => `\n${f}`).join(''),
    );
  log(`e2e setup: installing ${pkgs.join(', ')} with apt-get (once per machine)…`);
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', ...pkgs], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  log(`e2e setup: installed ${pkgs.join(', ')}`);
}
