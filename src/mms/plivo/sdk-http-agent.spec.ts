import { Agent, createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { Client } from 'plivo';
import { keepSdkSocketsAlive } from './sdk-http-agent';

const sdkAgent = () =>
  (createRequire(require.resolve('plivo'))('axios') as { defaults: { httpAgent: Agent } }).defaults
    .httpAgent;

describe("the Plivo SDK's HTTP agent", () => {
  it('keeps as many sockets idle as it may open', () => {
    keepSdkSocketsAlive();
    expect(sdkAgent().maxFreeSockets).toBe(sdkAgent().maxSockets);
    expect(sdkAgent().maxSockets).toBeGreaterThan(20);
  });

  it('40 sends at once, twice: the second 40 reuse the first 40 connections', async () => {
    keepSdkSocketsAlive();
    let connections = 0;
    let held: (() => void)[] = [];
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on('end', () =>
        held.push(() =>
          res
            .writeHead(202, { 'content-type': 'application/json' })
            .end('{"api_id":"a","message":"message(s) queued","message_uuid":["u"]}'),
        ),
      );
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const client = new Client('MATESTACCOUNT0000000', 'token', {
      url: `http://127.0.0.1:${port}/v1/Account/MATESTACCOUNT0000000`,
    });
    const burst = async () => {
      const sends = Array.from({ length: 40 }, () =>
        client.messages.create('+14155550100', '+14155550123', 'hi', { type: 'sms' }),
      );
      while (held.length < 40) await new Promise((resolve) => setImmediate(resolve));
      const answers = held;
      held = [];
      answers.forEach((answer) => answer());
      await Promise.all(sends);
    };
    try {
      await burst();
      await burst();
      expect(connections).toBe(40);
    } finally {
      sdkAgent().destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
