import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedDatabase, EmbeddedDatabase } from '../../src/sandbox/embedded-database';

declare global {
  var __EMBEDDED_DB__: EmbeddedDatabase | undefined;
}

/**
 * One real MongoDB-wire server for the whole e2e run: MONGODB_URI when set (CI may point it at
 * a real MongoDB), else the embedded FerretDB/mongod. Each spec file uses its own database.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.MONGODB_URI) {
    process.env.TEST_MONGODB_SERVER = process.env.MONGODB_URI;
    return;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'mms-e2e-db-'));
  const db = await startEmbeddedDatabase({ dataDir, log: (line) => console.log(line) });
  globalThis.__EMBEDDED_DB__ = db;
  process.env.TEST_MONGODB_SERVER = db.uri;
  process.env.TEST_MONGODB_DATA_DIR = dataDir;
}
