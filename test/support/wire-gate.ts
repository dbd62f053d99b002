import { createServer, Server, Socket, connect } from 'node:net';

/**
 * A TCP proxy in front of the MongoDB-wire server that can hold a process's requests: each
 * client → server message (framed by its int32 length) is offered to `hold`, and once one is
 * held, it and everything after it on that connection wait (the driver never has two requests
 * outstanding on one connection) until the connection closes. Answers are never held. It makes
 * "killed at exactly this point" deterministic: let one write through, hold the next, kill.
 */
export class WireGate {
  /** Decides, per client message, whether it (and what follows on its connection) waits. */
  hold: (message: Buffer) => boolean = () => false;
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly target: { host: string; port: number }) {}

  /** Starts the proxy; its `mongodb://host:port` address (append the database's path). */
  async listen(): Promise<string> {
    this.server = createServer((client) => this.pipe(client));
    await new Promise<void>((done) => this.server!.listen(0, '127.0.0.1', done));
    const { port } = this.server.address() as { port: number };
    return `mongodb://127.0.0.1:${port}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((done) => this.server?.close(done) ?? done(undefined));
  }

  private pipe(client: Socket): void {
    const upstream = connect(this.target.port, this.target.host);
    this.sockets.add(client).add(upstream);
    let pending = Buffer.alloc(0);
    let holding = false;
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4 && pending.length >= pending.readInt32LE(0)) {
        const message = pending.subarray(0, pending.readInt32LE(0));
        pending = pending.subarray(message.length);
        holding ||= this.hold(message);
        if (!holding) upstream.write(message);
      }
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  }
}
