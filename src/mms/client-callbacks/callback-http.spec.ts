import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { ConfigService } from '@nestjs/config';
import { AllConfig } from '../../config/config.type';
import { CallbackHttp } from './callback-http';
import { UNREACHABLE } from '../../shared/outbound-address';

/** A real server on 127.0.0.1 that records what it got, answering with `handler`. */
async function server(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const requests: {
    method?: string;
    url?: string;
    headers: IncomingMessage['headers'];
    body: string;
  }[] = [];
  const srv: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, headers: req.headers, body });
      handler(req, res);
    });
  });
  await new Promise<void>((done) => srv.listen(0, '127.0.0.1', done));
  const port = (srv.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    hostPort: `127.0.0.1:${port}`,
    requests,
    close: () => {
      srv.closeAllConnections();
      return new Promise<void>((done) => srv.close(() => done()));
    },
  };
}

const httpFor = (allowedHosts: string[], timeoutMs = 300) =>
  new CallbackHttp({
    get: () => ({ timeoutMs, allowHttp: true, allowedHosts }),
  } as unknown as ConfigService<AllConfig, true>);

describe('CallbackHttp', () => {
  it('POSTs the body and headers as given, and reports the status', async () => {
    const s = await server((_, res) => res.writeHead(204).end());
    try {
      const result = await httpFor([s.hostPort]).post(`${s.url}/hook?x=1`, '{"a":1}', {
        'X-Mms-Event-Id': 'evt_1',
      });
      expect(result).toEqual({ httpStatus: 204 });
      expect(s.requests).toEqual([
        expect.objectContaining({
          method: 'POST',
          url: '/hook?x=1',
          body: '{"a":1}',
          headers: expect.objectContaining({
            'content-type': 'application/json',
            'x-mms-event-id': 'evt_1',
          }),
        }),
      ]);
    } finally {
      await s.close();
    }
  });

  it('does not follow a redirect: a 3xx is the answer (a failed attempt for the worker)', async () => {
    const target = await server((_, res) => res.writeHead(200).end());
    const s = await server((_, res) =>
      res.writeHead(302, { Location: `${target.url}/elsewhere` }).end(),
    );
    try {
      const result = await httpFor([s.hostPort, target.hostPort]).post(`${s.url}/hook`, '{}', {});
      expect(result).toEqual({ httpStatus: 302 });
      expect(target.requests).toHaveLength(0);
    } finally {
      await s.close();
      await target.close();
    }
  });

  it('gives up at the deadline on an endpoint that never answers', async () => {
    const s = await server(() => undefined);
    try {
      const started = Date.now();
      const result = await httpFor([s.hostPort], 300).post(`${s.url}/hook`, '{}', {});
      expect(result).toEqual({ error: expect.stringMatching(/no answer in time/) });
      expect(Date.now() - started).toBeLessThan(5000);
      // A shorter deadline (what is left of the worker's lease) wins over the configured one.
      const short = await httpFor([s.hostPort], 60_000).post(`${s.url}/hook`, '{}', {}, 200);
      expect(short).toEqual({ error: expect.stringMatching(/no answer in time/) });
    } finally {
      await s.close();
    }
  });

  it('refuses, without connecting, a loopback URL whose host:port is not allowed', async () => {
    const s = await server((_, res) => res.writeHead(200).end());
    try {
      const result = await httpFor([]).post(`${s.url}/hook`, '{}', {});
      expect(result).toEqual({
        error: expect.stringMatching(/not a public address/),
        blocked: true,
      });
      expect(s.requests).toHaveLength(0);
    } finally {
      await s.close();
    }
  });

  it('says the same of a name that does not resolve as of one that resolves privately', async () => {
    const result = await httpFor([]).post('http://no-such-host.invalid/hook', '{}', {});
    expect(result).toEqual({ error: UNREACHABLE });
  });
});
