/**
 * The bare baseline of `npm run bench`: the least a gateway can do per send. A plain node:http
 * server that reads and JSON.parses the body, makes ONE keep-alive POST to the Plivo
 * simulator's Send Message route with Basic auth, and answers 202 with Plivo's message uuid.
 * No validation, no persistence, no logging, no framework.
 *
 * It runs as its own process (bench/run.ts spawns it), like the service, so it does not share
 * the event loop of the load generator. Configured by environment:
 *   BARE_PORT, PLIVO_API_URL, PLIVO_AUTH_ID, PLIVO_AUTH_TOKEN, PLIVO_SENDER_NUMBER
 * Prints `bare-baseline listening on <port>` once it accepts connections.
 */
import { Agent, createServer, request, type IncomingMessage } from 'node:http';

export interface BareBaselineOptions {
  port: number;
  plivoApiUrl: string;
  authId: string;
  authToken: string;
  senderNumber: string;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function startBareBaseline(options: BareBaselineOptions): Promise<number> {
  const agent = new Agent({ keepAlive: true });
  const target = new URL(`${options.plivoApiUrl}/v1/Account/${options.authId}/Message/`);
  const authorization = `Basic ${Buffer.from(`${options.authId}:${options.authToken}`).toString('base64')}`;

  const callPlivo = (payload: string): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = request(
        target,
        {
          method: 'POST',
          agent,
          headers: {
            'Content-Type': 'application/json',
            'Content-Length': Buffer.byteLength(payload),
            Authorization: authorization,
          },
        },
        (res) => {
          readBody(res).then((body) => resolve({ status: res.statusCode ?? 0, body }), reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });

  const server = createServer((req, res) => {
    readBody(req)
      .then(async (raw) => {
        const input = JSON.parse(raw) as {
          destinationNumber: string;
          messageText: string;
          mediaUrl?: string;
        };
        const plivo = await callPlivo(
          JSON.stringify({
            src: options.senderNumber,
            dst: input.destinationNumber,
            text: input.messageText,
            type: 'mms',
            media_urls: input.mediaUrl ? [input.mediaUrl] : [],
          }),
        );
        const parsed = JSON.parse(plivo.body) as { message_uuid?: string[] };
        res.writeHead(plivo.status === 202 ? 202 : 502, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ messageUuid: parsed.message_uuid?.[0] ?? null }));
      })
      .catch(() => {
        res.writeHead(500);
        res.end();
      });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : options.port);
    });
  });
}

if (require.main === module) {
  const env = process.env;
  startBareBaseline({
    port: Number(env.BARE_PORT ?? 0),
    plivoApiUrl: env.PLIVO_API_URL ?? '',
    authId: env.PLIVO_AUTH_ID ?? '',
    authToken: env.PLIVO_AUTH_TOKEN ?? '',
    senderNumber: env.PLIVO_SENDER_NUMBER ?? '+14155550100',
  }).then(
    (port) => console.log(`bare-baseline listening on ${port}`),
    (error: unknown) => {
      console.error(`bare-baseline failed: ${String(error)}`);
      process.exit(1);
    },
  );
  process.on('SIGTERM', () => process.exit(0));
}
