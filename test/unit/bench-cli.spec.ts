/**
 * The bench's command line (bench/cli.ts) and its profile move (bench/profiling.ts): --help
 * prints the usage and exits 0, a number option given something else is refused by name, and a
 * profile written on another file system than bench/results/ still arrives there.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOptions, USAGE, UsageError } from '../../bench/cli';
import { moveFile } from '../../bench/profiling';

const ROOT = join(__dirname, '..', '..');

/** `npm run bench -- <args>`, as package.json runs it. */
function runCli(
  args: string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', 'bench/cli.ts', ...args],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('bench/cli.ts', () => {
  it('--help and -h ask for the usage, whatever else is given', () => {
    expect(parseOptions(['--help'])).toBe('help');
    expect(parseOptions(['-h', '--duration', 'x'])).toBe('help');
  });

  it('npm run bench -- --help prints the usage and exits 0; a refused option exits 2 with its message, no stack', async () => {
    const [help, refused] = await Promise.all([runCli(['--help']), runCli(['--duration', 'ten'])]);
    expect([help.status, help.stderr]).toEqual([0, '']);
    expect(help.stdout.trim()).toBe(USAGE);
    expect(USAGE).toMatch(/--duration S \(10\)/);
    expect([refused.status, refused.stdout]).toEqual([2, '']);
    expect(refused.stderr).toBe(
      '--duration: expected a number (0 or more), got "ten"\n(npm run bench -- --help: the options)\n',
    );
  });

  it('reads the defaults and given numbers as numbers', () => {
    const options = parseOptions(['--duration', '2.5', '--connections', '8', '--seed', '100']);
    expect(options).toMatchObject({
      durationS: 2.5,
      warmupS: 2,
      connections: 8,
      flat: true,
      seedCount: 100,
      flatBudgetMs: 20000,
      campaignDrain: 10000,
    });
  });

  it.each([
    [['--duration', 'ten'], '--duration: expected a number (0 or more), got "ten"'],
    [['--connections', '1.5'], '--connections: expected a whole number (0 or more), got "1.5"'],
    [['--latency', ''], '--latency: expected a number (0 or more), got ""'],
    [['--seed', '1e5'], '--seed: expected a whole number (0 or more), got "1e5"'],
    [['--warmup=-1'], '--warmup: expected a number (0 or more), got "-1"'],
    [
      ['--dispatch-paced-rate', 'NaN'],
      '--dispatch-paced-rate: expected a number (0 or more), got "NaN"',
    ],
    [
      ['--campaign-drain', '10k'],
      '--campaign-drain: expected a whole number (0 or more), got "10k"',
    ],
  ])('refuses %j: %s', (args, message) => {
    expect(() => parseOptions(args)).toThrow(new UsageError(message));
  });

  it('refuses an unknown option as a usage error, and BENCH_PLIVO_LATENCY_MS by its name', () => {
    expect(() => parseOptions(['--durations', '5'])).toThrow(UsageError);
    const saved = process.env.BENCH_PLIVO_LATENCY_MS;
    process.env.BENCH_PLIVO_LATENCY_MS = 'fast';
    try {
      expect(() => parseOptions([])).toThrow(/^BENCH_PLIVO_LATENCY_MS: expected a number/);
    } finally {
      if (saved === undefined) delete process.env.BENCH_PLIVO_LATENCY_MS;
      else process.env.BENCH_PLIVO_LATENCY_MS = saved;
    }
  });
});

describe('bench/profiling.ts moveFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bench-move-'));
    writeFileSync(join(dir, 'a.cpuprofile'), '{"nodes":[]}');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const exdev = () => {
    throw Object.assign(new Error('EXDEV: cross-device link not permitted, rename'), {
      code: 'EXDEV',
    });
  };

  it('renames within a file system', () => {
    moveFile(join(dir, 'a.cpuprofile'), join(dir, 'b.cpuprofile'));
    expect(existsSync(join(dir, 'a.cpuprofile'))).toBe(false);
    expect(readFileSync(join(dir, 'b.cpuprofile'), 'utf8')).toBe('{"nodes":[]}');
  });

  it('copies then removes the source when rename fails across file systems (EXDEV)', () => {
    moveFile(join(dir, 'a.cpuprofile'), join(dir, 'b.cpuprofile'), exdev);
    expect(existsSync(join(dir, 'a.cpuprofile'))).toBe(false);
    expect(readFileSync(join(dir, 'b.cpuprofile'), 'utf8')).toBe('{"nodes":[]}');
  });

  it('any other failure is thrown, the source kept', () => {
    expect(() => moveFile(join(dir, 'a.cpuprofile'), join(dir, 'nope', 'b.cpuprofile'))).toThrow(
      /ENOENT/,
    );
    expect(existsSync(join(dir, 'a.cpuprofile'))).toBe(true);
  });
});
