/**
 * The bare baseline of `npm run bench`: the least a CORRECT gateway must do per send, on the
 * same database as the service. A plain node:http server that JSON.parses the body, inserts a
 * pending log (no message may reach Plivo unrecorded), makes ONE keep-alive POST to the Plivo
 * simulator's Send Message route with Basic auth, moves the log to `queued` with one
 * conditional update, and answers 202. No validation, no logging, no framework.
 *
 * It runs as its own process (bench/processes.ts spawns it), like the service, so it does not share
 * the event loop of the load generator. Configured by environment:
 *   BARE_PORT, BARE_MONGODB_URI, PLIVO_API_URL, PLIVO_AUTH_ID, PLIVO_AUTH_TOKEN,
 *   PLIVO_SENDER_NUMBER
 * Prints `bare-baseline listening on <port>` once it accepts connections.
 */
import { Agent, createServer, request, type IncomingMessage } from 'node:http';
import { MongoClient } from 'mongodb';

interface BaselineLog {
  direction: string;
  channel: string;
  sender: string;
  recipient: string;
  text: string;
  mediaUrls: string[];
  status: string;
  statusRank: number;
  statusHistory: { status: string; at: Date; source: string; applied: boolean }[];
  plivoMessageUuid?: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface BareBaselineOptions {
  port: number;
  mongodbUri: string;
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

export async function startBareBaseline(options: BareBaselineOptions): Promise<number> {
  const client = await new MongoClient(options.mongodbUri, { maxPoolSize: 100 }).connect();
  const logs = client.db().collection<BaselineLog>('bench_baseline_logs');
  // The indexes the service's log carries (its reads need them), so inserts cost the same.
  await logs.createIndex(
    { plivoMessageUuid: 1 },
    { unique: true, partialFilterExpression: { plivoMessageUuid: { $exists: true } } },
  );
  for (const field of ['status', 'recipient', 'direction'])
    await logs.createIndex({ [field]: 1, _id: -1 });
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
        const now = new Date();
        const { insertedId } = await logs.insertOne({
          direction: 'outbound',
          channel: 'mms',
          sender: options.senderNumber,
          recipient: input.destinationNumber,
          text: input.messageText,
          mediaUrls: input.mediaUrl ? [input.mediaUrl] : [],
          status: 'pending',
          statusRank: 0,
          statusHistory: [{ status: 'pending', at: now, source: 'api', applied: true }],
          createdAt: now,
          updatedAt: now,
        });
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
        const uuid = parsed.message_uuid?.[0];
        if (plivo.status === 202 && uuid)
          await logs.updateOne(
            { _id: insertedId, statusRank: { $lt: 2 } },
            {
              $set: {
                status: 'queued',
                statusRank: 2,
                plivoMessageUuid: uuid,
                updatedAt: new Date(),
              },
              $push: {
                statusHistory: {
                  status: 'queued',
                  at: new Date(),
                  source: 'plivo-response',
                  applied: true,
                },
              },
            },
          );
        res.writeHead(plivo.status === 202 ? 202 : 502, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ messageId: insertedId.toHexString(), messageUuid: uuid ?? null }));
      })
      .catch(() => {
        res.writeHead(500);
        res.end();
      });
  });
  server.keepAliveTimeout = 60_000;
  server.on('close', () => void client.close());
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
    mongodbUri: env.BARE_MONGODB_URI ?? '',
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
