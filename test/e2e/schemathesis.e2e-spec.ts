/**
 * Schemathesis (`st run --checks all`) against the OpenAPI document the sandbox service serves
 * (spawned as `npm start` runs it: simulated Plivo, the run's database server): every
 * schema-valid request is accepted, every schema-invalid one refused, every answer is documented
 * and matches its schema, no 5xx, undeclared methods get 405. The run must end with 0 failures.
 *
 * Schemathesis is installed on first use by scripts/install-schemathesis.sh (Python 3.11 or
 * later, or uv, and PyPI; versions pinned in scripts/schemathesis-requirements.txt, cached under
 * ~/.cache/plivo-mms-gateway). test/support/schemathesis-hooks.py tells the generator what JSON
 * Schema cannot: which phone numbers are valid, and that an Idempotency-Key is unique per
 * message. Bounded for a 2-core machine: SCHEMATHESIS_MAX_EXAMPLES cases per operation and phase
 * (default 30), a fixed seed (SCHEMATHESIS_SEED), 2 workers.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../sandbox/embedded-database';
import { isE164PhoneNumber } from '../../src/shared/is-e164-phone-number';
import { SpawnedService, spawnService } from '../support/spawned-service';

const ROOT = resolve(__dirname, '..', '..');
const HOOKS = join(ROOT, 'test', 'support', 'schemathesis-hooks.py');
const MAX_EXAMPLES = process.env.SCHEMATHESIS_MAX_EXAMPLES ?? '30';
const SEED = process.env.SCHEMATHESIS_SEED ?? '20250611';

interface Report {
  schemathesis_version: string;
  seed: number;
  running_time: number;
  complete: boolean;
  test_cases: { generated: number; with_failures: number; unique_failures: number };
  failures: { code: string; title: string; operations: string[] }[];
  errors: unknown[];
  filtered: number;
}

/** The `st` command, installed once per machine (the script prints its path last). */
function installSchemathesis(): string {
  const out = execFileSync('bash', [join(ROOT, 'scripts', 'install-schemathesis.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 600_000,
  });
  return out.trim().split('\n').pop()!;
}

async function waitForHealth(service: SpawnedService, timeoutMs = 90_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (service.child.exitCode !== null)
      throw new Error(`the service exited (${service.child.exitCode}):\n${service.output()}`);
    const ok = await fetch(`${service.baseUrl}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > until)
      throw new Error(`no /health within ${timeoutMs} ms:\n${service.output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('Schemathesis --checks all against the OpenAPI document (e2e: spawned sandbox service)', () => {
  let service: SpawnedService | undefined;
  let st: string;
  const apiKey = `schemathesis-${randomBytes(16).toString('hex')}`;

  beforeAll(async () => {
    st = installSchemathesis();
    const uri = new URL(process.env.TEST_MONGODB_SERVER!);
    uri.pathname = `/schemathesis_${process.pid}_${Date.now()}`;
    service = await spawnService(
      {
        MONGODB_URI: uri.toString(),
        PLIVO_SIMULATOR_PORT: String(await freePort()),
        // An admin key: Schemathesis reaches every route, the admin-only /opt-outs included.
        ADMIN_API_KEYS: apiKey,
        LOG_LEVEL: 'warn',
      },
      { entry: 'sandbox/main.ts' },
    );
    await waitForHealth(service);
  }, 600_000);
  afterAll(() => service?.kill());

  it("the hooks' phone numbers are all valid (else a refused one would be the hooks' fault)", () => {
    const hooks = readFileSync(HOOKS, 'utf8');
    const list = /AREA_CODES = \[([^\]]*)\]/.exec(hooks)?.[1] ?? '';
    const areaCodes = [...list.matchAll(/"(\d{3})"/g)].map((m) => m[1]);
    expect(areaCodes.length).toBeGreaterThan(10);
    expect(hooks).toContain('st.integers(200, 999)');
    const numbers = areaCodes.flatMap((area) =>
      ['2000000', '5550100', '9119999', '9999999'].map((rest) => `+1${area}${rest}`),
    );
    expect(numbers.filter((n) => !isE164PhoneNumber(n))).toEqual([]);
  });

  it('finds 0 failures and 0 errors', async () => {
    // Its own folder: Schemathesis' cache and the report stay out of the repository.
    const dir = mkdtempSync(join(tmpdir(), 'mms-schemathesis-'));
    try {
      const reportPath = join(dir, 'report.json');
      // prettier-ignore
      const args = [
        'run', `${service!.baseUrl}/docs-json`,
        '--checks', 'all',
        '--max-examples', MAX_EXAMPLES,
        '--seed', SEED,
        // One worker: with two, Hypothesis' lambda-source cache races between threads under load
        // ("AST constructor recursion depth mismatch", a Runtime Error that is not about our API).
        '--workers', '1',
        '--header', `X-API-Key: ${apiKey}`,
        '--request-timeout', '30',
        '--generation-database', 'none',
        '--no-color',
        '--report', 'json',
        '--report-json-path', reportPath,
      ];
      const output = await new Promise<string>((done) =>
        execFile(
          st,
          args,
          {
            cwd: dir,
            env: { ...process.env, SCHEMATHESIS_HOOKS: HOOKS },
            maxBuffer: 64 * 1024 * 1024,
            timeout: 240_000,
          },
          // A non-zero exit is what failures look like; the report says which.
          (_error, stdout, stderr) => done(`${stdout}${stderr}`),
        ),
      );
      let report: Report;
      try {
        report = JSON.parse(readFileSync(reportPath, 'utf8')) as Report;
      } catch {
        throw new Error(`Schemathesis wrote no report:\n${output}`);
      }
      const failures = report.failures.reduce((n, f) => n + f.operations.length, 0);
      console.log(
        `Schemathesis ${report.schemathesis_version}, seed ${report.seed}: ${report.test_cases.generated} cases, ` +
          `${failures} failures, ${report.errors.length} errors in ${report.running_time.toFixed(1)} s`,
      );
      // Schemathesis prints failures under FAILURES and runtime errors under ERRORS.
      const start = [output.indexOf('ERRORS'), output.indexOf('FAILURES')].filter((i) => i >= 0);
      const details = start.length > 0 ? output.slice(Math.min(...start)) : output.slice(-4000);
      expect({
        complete: report.complete,
        failures: report.failures.map((f) => `${f.code} ${f.title}: ${f.operations.join(', ')}`),
        errors: report.errors,
        filtered: report.filtered,
        details: report.failures.length + report.errors.length > 0 ? details : '',
      }).toEqual({ complete: true, failures: [], errors: [], filtered: 0, details: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
