import { INestApplication } from '@nestjs/common';
import { getConnectionToken } from '@nestjs/mongoose';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { Connection } from 'mongoose';
import { AppModule } from '../../src/app.module';
import { configureApp } from '../../src/app.setup';
import { loadConfiguration } from '../../src/config/configuration';
import { freePort } from '../../sandbox/embedded-database';
import { PlivoSimulator } from '../../sandbox/plivo-simulator';

export const TEST_AUTH_ID = 'MATESTACCOUNT0000000';
export const TEST_SENDER = '+14155550100';

export interface TestApp {
  app: INestApplication;
  baseUrl: string;
  plivo: PlivoSimulator;
  authToken: string;
  db: Connection;
  /** The database's name: pass it as `options.dbName` to boot a second replica on it. */
  dbName: string;
  /** Clears the collections and the simulator between tests. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

let counter = 0;

/**
 * Boots the real AppModule, configured exactly as main.ts does, on a real port (Plivo's
 * callbacks must reach it), against the run's MongoDB-wire server (a database per app) and a
 * fresh Plivo simulator reached through the real SDK.
 */
export async function createTestApp(
  env: Record<string, string> = {},
  simulator: Partial<ConstructorParameters<typeof PlivoSimulator>[0]> = {},
  options: {
    dbName?: string;
    /**
     * Without API_KEYS, every caller is an admin, as in the sandbox (`npm start`), which the
     * keyless tests read inbound and seeded messages as. false: the open caller of any other
     * entry point, never an admin.
     */
    openAccessAdmin?: boolean;
  } = {},
): Promise<TestApp> {
  const server = process.env.TEST_MONGODB_SERVER;
  if (!server)
    throw new Error('TEST_MONGODB_SERVER is not set: run the e2e tests through jest (globalSetup)');
  const authToken = randomBytes(16).toString('hex');
  const plivo = new PlivoSimulator({
    authId: TEST_AUTH_ID,
    authToken,
    callbackDelayMs: 10,
    callbackRetryDelaysMs: [50, 100, 200],
    ...simulator,
  });
  const plivoUrl = await plivo.start();
  const port = await freePort();
  const dbName = options.dbName ?? `e2e_${process.pid}_${Date.now()}_${counter++}`;
  const base = new URL(server);
  base.pathname = `/${dbName}`;

  // The app gets its configuration passed in, as from an entry point: nothing here reads or
  // writes process.env, so settings never leak between apps.
  const config = loadConfiguration(
    {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      SERVER_PORT: String(port),
      PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      MONGODB_URI: base.toString(),
      PLIVO_AUTH_ID: TEST_AUTH_ID,
      PLIVO_AUTH_TOKEN: authToken,
      PLIVO_SENDER_NUMBER: TEST_SENDER,
      PLIVO_API_URL: plivoUrl,
      PLIVO_TIMEOUT_MS: '1500',
      PLIVO_SEND_DEADLINE_MS: '8000',
      // No pacing unless a test asks for it: every send goes to Plivo in its request.
      PACING_ACCOUNT_MMS_PER_SECOND: '0',
      PACING_ACCOUNT_SMS_PER_SECOND: '0',
      ...env,
    },
    { plivo: false, database: false, openAccessAdmin: options.openAccessAdmin ?? true },
  );

  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.forRoot(config)],
  }).compile();
  const app = moduleRef.createNestApplication({ bufferLogs: true });
  configureApp(app);
  await app.listen(port, '127.0.0.1');
  const db = app.get<Connection>(getConnectionToken());
  await Promise.all(Object.values(db.models).map((m) => m.init()));

  return {
    app,
    baseUrl: `http://127.0.0.1:${port}`,
    plivo,
    authToken,
    db,
    dbName,
    async reset() {
      plivo.reset();
      await Promise.all(Object.values(db.collections).map((c) => c.deleteMany({})));
    },
    async close() {
      await app.close();
      await plivo.stop();
    },
  };
}
