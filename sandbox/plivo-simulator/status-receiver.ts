/**
 * A client of the gateway: the endpoint its status callbacks (docs/status-callbacks.md) are POSTed to. It records every request with the verdict of the client-side
 * signature check, and answers what a test or the sandbox walkthrough asks (failures, 410,
 * slowness). The simulator mounts it under /client-callbacks/…; tests can run it alone.
 *
 * It is the oracle side: it shares no code with src/. verifyStatusCallbackSignature below is the
 * README's Node snippet, character for character (test/unit/status-callback-signature.spec.ts
 * checks both against the service's signer).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from './http-utils';

export interface ReceivedCallback {
  at: Date;
  /** Path as received, query string included. */
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** Parsed JSON, or undefined when the body is not JSON. */
  body: unknown;
  /** The X-Mms-Event-Id header. */
  eventId?: string;
  /** verifyStatusCallbackSignature with the receiver's secrets and tolerance. */
  signatureValid: boolean;
  /** The status it answered, or 'timeout' when the client gave up before the answer. */
  answered: number | 'timeout';
}

export interface StatusReceiverOptions {
  secrets: string[];
  /** How far `t=` may be from this clock (default 300 s). */
  toleranceSeconds?: number;
}

/** Where the simulator mounts the receiver; also its control routes' prefix. */
export const CLIENT_CALLBACKS_PATH = '/client-callbacks';

export class StatusReceiver {
  private readonly secrets: string[];
  private readonly toleranceSeconds: number;
  /** Every request in arrival order; one shows in received() once it is answered or abandoned. */
  private records: { callback: ReceivedCallback; settled: boolean }[] = [];
  private failures: number[] = [];
  private status = 200;
  private delayMs = 0;
  /** Requests in progress per event id (replaced by reset(), so late answers touch nothing). */
  private inProgress = new Map<string, number>();
  private mostConcurrent = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private server?: Server;

  constructor(options: StatusReceiverOptions) {
    this.secrets = [...options.secrets];
    this.toleranceSeconds = options.toleranceSeconds ?? 300;
  }

  /** Handles one request (the simulator mounts it under /client-callbacks/…; listen() uses it too). */
  handle(req: IncomingMessage, res: ServerResponse, rawBody: string): void {
    const eventHeader = req.headers['x-mms-event-id'];
    const signatureHeader = req.headers['x-mms-signature'];
    const callback: ReceivedCallback = {
      at: new Date(),
      path: req.url ?? '/',
      headers: req.headers,
      rawBody,
      body: parseJson(rawBody),
      eventId: typeof eventHeader === 'string' ? eventHeader : undefined,
      signatureValid: verifyStatusCallbackSignature(
        typeof signatureHeader === 'string' ? signatureHeader : undefined,
        rawBody,
        this.secrets,
        this.toleranceSeconds,
      ),
      answered: this.failures.shift() ?? this.status,
    };
    const record = { callback, settled: false };
    this.records.push(record);

    // A real client would refuse a bad signature (401); this one answers as told either way,
    // so a test reads the verdict instead of chasing retries.
    const inProgress = this.inProgress;
    const key = callback.eventId;
    if (key !== undefined) {
      const now = (inProgress.get(key) ?? 0) + 1;
      inProgress.set(key, now);
      this.mostConcurrent = Math.max(this.mostConcurrent, now);
    }
    const settle = (answered: number | 'timeout') => {
      if (record.settled) return;
      record.settled = true;
      callback.answered = answered;
      if (key !== undefined) inProgress.set(key, (inProgress.get(key) ?? 1) - 1);
    };
    const answer = () => {
      if (res.writableEnded || res.destroyed) return settle('timeout');
      const status = callback.answered as number;
      settle(status);
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(status < 300 ? { received: true } : { error: 'failing on demand' }));
    };
    // Closed before the answer was written: the client timed out or hung up.
    res.once('close', () => settle('timeout'));

    if (this.delayMs <= 0) return answer();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      answer();
    }, this.delayMs);
    this.timers.add(timer);
  }

  /** Standalone server on 127.0.0.1 (port 0 = free port); resolves with its base URL. */
  async listen(port = 0): Promise<string> {
    if (this.server) throw new Error('StatusReceiver is already listening');
    const server = createServer((req, res) => {
      readBody(req).then(
        (raw) => this.handle(req, res, raw),
        () => undefined, // the client went away mid-body: nothing to record
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Stops the standalone server, if any, and drops answers still being held. */
  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections(); // held and keep-alive sockets would keep close() waiting
    await closed;
  }

  /** What was received, in arrival order; a request shows once answered or abandoned. */
  received(): ReceivedCallback[] {
    return this.records.filter((r) => r.settled).map((r) => r.callback);
  }

  /** Successful (2xx) deliveries only, in arrival order. */
  accepted(): ReceivedCallback[] {
    return this.received().filter((c) => typeof c.answered === 'number' && c.answered < 300);
  }

  /** Answer `status` (default 500) to the next `count` requests, then go back to 200. */
  failNext(count: number, status = 500): void {
    for (let i = 0; i < count; i++) this.failures.push(status);
  }

  /** Answer every request with `status` until reset() / answer(200). */
  answer(status: number): void {
    this.status = status;
  }

  /** Hold each answer `ms` milliseconds before replying (0 = reply at once). */
  delay(ms: number): void {
    this.delayMs = ms;
  }

  /** The most requests for one event id that were ever in progress at the same time (1 = never concurrent). */
  maxConcurrent(): number {
    return this.mostConcurrent;
  }

  /** Forgets what was received and answers 200 at once again; held answers still go out. */
  reset(): void {
    this.records = [];
    this.failures = [];
    this.status = 200;
    this.delayMs = 0;
    this.inProgress = new Map();
    this.mostConcurrent = 0;
  }

  /** Pending failNext answers and the standing answer, for the control route. */
  plan(): { failNext: number[]; answer: number; delayMs: number } {
    return { failNext: [...this.failures], answer: this.status, delayMs: this.delayMs };
  }
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The simulator's /client-callbacks routes: `GET /client-callbacks` lists what was received,
 * `POST /client-callbacks/_fail {count?, status?}` and `POST /client-callbacks/_reset` control
 * the receiver, and any other request under /client-callbacks/ is a callback to record.
 */
export async function handleClientCallbacks(
  receiver: StatusReceiver,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const reply = (status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body, null, 2));
  };
  const pathname = (req.url ?? '/').split('?')[0].replace(/\/+$/, '');
  const raw = await readBody(req);
  if (pathname === CLIENT_CALLBACKS_PATH) {
    if (req.method !== 'GET') return reply(405, { error: 'GET only' });
    return reply(200, {
      callbacks: receiver.received().map((c) => ({
        at: c.at.toISOString(),
        path: c.path,
        eventId: c.eventId ?? null,
        signatureValid: c.signatureValid,
        answered: c.answered,
        body: c.body ?? c.rawBody,
      })),
      maxConcurrent: receiver.maxConcurrent(),
      ...receiver.plan(),
    });
  }
  const control = pathname.slice(CLIENT_CALLBACKS_PATH.length + 1);
  if (control === '_reset' || control === '_fail') {
    if (req.method !== 'POST') return reply(405, { error: 'POST only' });
    if (control === '_reset') {
      receiver.reset();
      return reply(200, receiver.plan());
    }
    const body = raw.trim() === '' ? {} : parseJson(raw);
    const plan = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const count = plan.count ?? 1;
    const status = plan.status ?? 500;
    if (plan !== body || !isIntegerIn(count, 0, 1000) || !isIntegerIn(status, 100, 599))
      return reply(400, {
        error: 'expected JSON {"count": 0-1000 (default 1), "status": 100-599 (default 500)}',
      });
    receiver.failNext(count, status);
    return reply(200, receiver.plan());
  }
  receiver.handle(req, res, raw);
}

const isIntegerIn = (value: unknown, min: number, max: number): value is number =>
  Number.isInteger(value) && (value as number) >= min && (value as number) <= max;

/**
 * Checks an `X-Mms-Signature` header (`t=<unix seconds>,v1=<hex>[,v1=<hex>…]`): true when `t` is
 * within `toleranceSeconds` of now and any v1 is the HMAC-SHA256 of "<t>.<raw body>" under any
 * of `secrets`. Pass the body exactly as received (before any JSON parsing).
 */
export function verifyStatusCallbackSignature(
  header: string | undefined,
  rawBody: string,
  secrets: string[],
  toleranceSeconds = 300,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  if (typeof header !== 'string') return false;
  let timestamp: string | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't') {
      if (timestamp !== undefined) return false; // two timestamps: which one was signed?
      timestamp = value;
    } else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value ?? '')) {
      signatures.push(Buffer.from(value, 'hex'));
    }
  }
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret)
      .update(`${timestamp}.${rawBody}`, 'utf8')
      .digest();
    for (const signature of signatures) {
      if (signature.length === expected.length && timingSafeEqual(signature, expected)) return true;
    }
  }
  return false;
}
