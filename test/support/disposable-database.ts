import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedDatabase, freePort, startEmbeddedDatabase } from '../../sandbox/embedded-database';

/**
 * A database a test can stop mid-run (and start again on the same port and data) without
 * disturbing the other suites. It is the same kind of server as the rest of the run: its own
 * process of the embedded server (chooseDatabaseServer), or, when the run uses MONGODB_URI, that
 * server behind a loopback TCP relay whose stop() drops every connection and refuses new ones.
 */
export class DisposableDatabase {
  private server?: EmbeddedDatabase;
  private relay?: { server: Server; sockets: Set<Socket> };
  private readonly dataDir = mkdtempSync(join(tmpdir(), 'mms-fault-db-'));
  private port?: number;
  /** Decided once: test apps set MONGODB_URI themselves, so it cannot be read later. */
  private readonly external = process.env.TEST_MONGODB_EXTERNAL
    ? process.env.TEST_MONGODB_SERVER
    : undefined;

  async start(): Promise<string> {
    this.port ??= await freePort();
    const external = this.external;
    if (external) {
      const target = new URL(external);
      this.relay = await startRelay(this.port, target);
      // Same credentials and options, one host (the relay), no replica-set discovery past it.
      const uri = new URL(target.toString());
      uri.host = `127.0.0.1:${this.port}`;
      uri.pathname = `/faults_${process.pid}`;
      uri.searchParams.set('directConnection', 'true');
      uri.searchParams.delete('replicaSet');
      return uri.toString();
    }
    this.server = await startEmbeddedDatabase({ dataDir: this.dataDir, port: this.port });
    return `${this.server.uri}/faults`;
  }

  async stop(): Promise<void> {
    // Take the references first: a start() racing this stop must not have its server forgotten.
    const server = this.server;
    const relay = this.relay;
    this.server = undefined;
    this.relay = undefined;
    if (relay) {
      for (const socket of relay.sockets) socket.destroy();
      await new Promise<void>((done) => relay.server.close(() => done()));
    }
    await server?.stop();
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

function startRelay(port: number, target: URL): Promise<{ server: Server; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = new Socket();
    upstream.connect(Number(target.port || 27017), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => (client.destroy(), upstream.destroy()));
    }
    client.pipe(upstream).pipe(client);
  });
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => done({ server, sockets }));
  });
}
