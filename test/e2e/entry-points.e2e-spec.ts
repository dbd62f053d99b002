import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { freePort } from '../../sandbox/embedded-database';
import { SpawnedService, spawnService } from '../support/spawned-service';

const ROOT = resolve(__dirname, '..', '..');
const MISSING =
  /Failed to start: PLIVO_AUTH_ID, PLIVO_AUTH_TOKEN, PLIVO_SENDER_NUMBER, MONGODB_URI, API_KEYS not set\. .*npm start/;
/** Real Plivo and MongoDB settings (never reached: the start is refused first). */
const REAL_SETTINGS = {
  PLIVO_AUTH_ID: 'MAXXXXXXXXXXXXXXXXXX',
  PLIVO_AUTH_TOKEN: 'a-real-looking-auth-token',
  PLIVO_SENDER_NUMBER: '+14155550100',
  MONGODB_URI: 'mongodb://127.0.0.1:1/unused',
};

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

describe('entry points (e2e, spawned processes)', () => {
  let service: SpawnedService | undefined;
  afterEach(() => service?.kill());

  describe('production (src/main.ts, node dist/main.js)', () => {
    it('refuses to start without Plivo and MongoDB settings, whatever NODE_ENV says, naming them', async () => {
      for (const NODE_ENV of ['development', 'test']) {
        service = await spawnService({ NODE_ENV });
        expect(await service.exited).toBe(1);
        expect(service.output()).toMatch(MISSING);
        expect(service.output()).not.toMatch(/\n\s+at /); // no stack trace
      }
    });

    it('the production build contains no sandbox code and refuses to start the same way', async () => {
      const outDir = mkdtempSync(join(tmpdir(), 'mms-build-'));
      try {
        execFileSync(
          process.execPath,
          [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', outDir],
          { cwd: ROOT, stdio: 'pipe' },
        );
        const files = filesUnder(outDir).filter((f) => f.endsWith('.js'));
        expect(files.map((f) => f.slice(outDir.length + 1))).toContain('main.js');
        const offenders = files.filter((f) =>
          /require\("[^"]*(sandbox|plivo-simulator|embedded-database)[^"]*"\)/.test(
            readFileSync(f, 'utf8'),
          ),
        );
        expect(offenders).toEqual([]);
        expect(files.some((f) => /simulator|embedded-database/.test(f))).toBe(false);

        // Built outside the repository: its packages come from the repository's node_modules.
        service = await spawnService(
          { NODE_PATH: join(ROOT, 'node_modules') },
          { entry: join(outDir, 'main.js') },
        );
        expect(await service.exited).toBe(1);
        expect(service.output()).toMatch(MISSING);

        // Real settings and NODE_ENV=development, no API keys: never an open gateway.
        service = await spawnService(
          { NODE_PATH: join(ROOT, 'node_modules'), NODE_ENV: 'development', ...REAL_SETTINGS },
          { entry: join(outDir, 'main.js') },
        );
        expect(await service.exited).toBe(1);
        expect(service.output()).toMatch(
          /^Failed to start: API_KEYS not set\. .*never without API keys, whatever NODE_ENV says/m,
        );
        expect(service.output()).not.toMatch(/listening/);

        // Set but holding no key (`API_KEYS=,`), or no METRICS_TOKEN: refused the same way.
        for (const [extra, refusal] of [
          [{ API_KEYS: ',', ADMIN_API_KEYS: ' , ' }, /API_KEYS: no key in it/],
          [{ API_KEYS: `shop:${'k'.repeat(24)}` }, /METRICS_TOKEN: required by this entry point/],
        ] as const) {
          service = await spawnService(
            {
              NODE_PATH: join(ROOT, 'node_modules'),
              NODE_ENV: 'development',
              ...REAL_SETTINGS,
              ...extra,
            },
            { entry: join(outDir, 'main.js') },
          );
          expect(await service.exited).toBe(1);
          expect(service.output()).toMatch(refusal);
          expect(service.output()).not.toMatch(/listening/);
        }
      } finally {
        rmSync(outDir, { recursive: true, force: true });
      }
    }, 120000);
  });

  describe('sandbox (sandbox/main.ts, npm start)', () => {
    it('cp .env.example .env && npm start: starts on 127.0.0.1, says it is a sandbox first, and the README curl gets 202', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mms-sandbox-'));
      try {
        copyFileSync(join(ROOT, '.env.example'), join(dir, '.env'));
        const server = process.env.TEST_MONGODB_SERVER!;
        const uri = new URL(server);
        uri.pathname = `/sandbox_${process.pid}_${Date.now()}`;
        // The real environment wins over .env: the run's database, free ports.
        service = await spawnService(
          {
            MONGODB_URI: uri.toString(),
            PLIVO_SIMULATOR_PORT: String(await freePort()),
            PUBLIC_BASE_URL: '',
          },
          { entry: 'sandbox/main.ts', cwd: dir },
        );
        await service.waitForOutput(/listening on port \d+ \(127\.0\.0\.1\)/, 60000);
        expect(service.output().split('\n')[0]).toMatch(
          /^sandbox: simulated Plivo at http:\/\/127\.0\.0\.1:\d+, database at MONGODB_URI; no real message is sent; no API_KEYS: every caller is an admin$/,
        );
        const res = await request(service.baseUrl)
          .post('/send-mms')
          .set('Content-Type', 'application/json')
          .send({
            destinationNumber: '+14157654321',
            messageText: 'Hello from Plivo MMS!',
            mediaUrl: 'https://media.giphy.com/media/26gscSULUcfKU7dHq/source.gif',
          });
        expect(res.status).toBe(202);
        expect(res.body).toMatchObject({ status: 'queued', messageId: expect.any(String) });
        // The sandbox, and only it, makes the keyless caller an admin (the opt-out API works).
        const optOut = await request(service.baseUrl).delete('/opt-outs/+14155550100/+14157654321');
        expect(optOut.status).toBe(404);
        expect(optOut.body.code).toBe('OPT_OUT_NOT_FOUND');
      } finally {
        service?.kill();
        rmSync(dir, { recursive: true, force: true });
      }
    }, 90000);

    it('reports every invalid variable at once, in one message and without a stack trace', async () => {
      service = await spawnService(
        {
          MONGODB_URI: 'mongodb://127.0.0.1:1/unused',
          SERVER_PORT: 'eighty',
          REDIS_URL: 'http://not-redis',
          PLIVO_SIMULATOR_PORT: String(await freePort()),
        },
        { entry: 'sandbox/main.ts' },
      );
      expect(await service.exited).toBe(1);
      const output = service.output();
      expect(output).toMatch(/sandbox: failed to start: Invalid configuration:/);
      expect(output).toMatch(/- SERVER_PORT: /);
      expect(output).toMatch(/- REDIS_URL: /);
      expect(output).not.toMatch(/\n\s+at /);
    }, 60000);
  });
});
