import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDatabase, EmbeddedDatabase } from '../../sandbox/embedded-database';
import { ensureSystemPackages } from './system-packages';

declare global {
  var __EMBEDDED_DB__: EmbeddedDatabase | undefined;
}

/**
 * One MongoDB server for the whole e2e run, chosen by chooseDatabaseServer(): MONGODB_URI when
 * set, else a real mongod, else the stand-in (installed on first use). Each spec file uses its
 * own database; test/e2e/database-conformance checks the server first.
 */
export default async function globalSetup(): Promise<void> {
  ensureSystemPackages((line) => console.log(line));
  if (process.env.MONGODB_URI) {
    process.env.TEST_MONGODB_SERVER = process.env.MONGODB_URI;
    process.env.TEST_MONGODB_EXTERNAL = '1';
    return;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'mms-e2e-db-'));
  const db = await startEmbeddedDatabase({ dataDir, log: (line) => console.log(line) });
  console.log(`e2e database: embedded ${db.kind} at ${db.uri}`);
  globalThis.__EMBEDDED_DB__ = db;
  process.env.TEST_MONGODB_SERVER = db.uri;
  process.env.TEST_MONGODB_DATA_DIR = dataDir;
}
