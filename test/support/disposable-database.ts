import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EmbeddedDatabase,
  freePort,
  startEmbeddedDatabase,
} from '../../src/sandbox/embedded-database';

/**
 * A database server of a test's own, so the test can stop it mid-run (and start it again on the
 * same port and data) without disturbing the other suites. Real FerretDB or mongod, never a mock.
 */
export class DisposableDatabase {
  private server?: EmbeddedDatabase;
  private readonly dataDir = mkdtempSync(join(tmpdir(), 'mms-fault-db-'));
  private port?: number;

  async start(): Promise<string> {
    this.port ??= await freePort();
    this.server = await startEmbeddedDatabase({ dataDir: this.dataDir, port: this.port });
    return `${this.server.uri}/faults`;
  }

  async stop(): Promise<void> {
    // Take the reference first: a start() racing this stop must not have its server forgotten.
    const server = this.server;
    this.server = undefined;
    await server?.stop();
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
