/**
 * In-process stand-in for api.plivo.com, used by the local sandbox mode and by tests.
 *
 * The real `plivo` SDK is pointed at it with
 *   new plivo.Client(authId, authToken, { url: `${sim.baseUrl}/v1/Account/${authId}`, timeout })
 * so it answers the Send Message API the way Plivo does (202 + message_uuid array, `{api_id, error}`
 * on failure), sends signed status callbacks (queued → sent → delivered|failed) with Plivo's retry
 * policy, can fake inbound MMS webhooks, and lets tests inject transport failures
 * (HTTP errors, timeouts, resets and the ambiguous "accepted but never answered" case).
 *
 * Plain node:http on purpose: no framework, no extra dependency, nothing to configure.
 */
import { randomInt, randomUUID } from 'node:crypto';
import {
  createServer,
  STATUS_CODES,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { computeV3Signature } from '../src/mms/webhooks/plivo-signature';

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

export interface PlivoSimulatorOptions {
  authId: string;
  authToken: string;
  /** Gap between consecutive status callbacks of one message (default 100 ms). */
  callbackDelayMs?: number;
  /** Delays before each retry of a failed callback (default [1000, 2000, 4000], i.e. 3 retries). */
  callbackRetryDelaysMs?: number[];
  /**
   * Sandbox demos: where `POST /sandbox/inbound` on the simulator delivers a signed inbound
   * message, as Plivo would to an application's message_url.
   */
  inboundUrl?: string;
  log?: (msg: string) => void;
}

/** Answer with this status instead of processing the request. */
export interface StatusFailurePlan {
  status: number;
  /** Default `{api_id, error: <reason phrase>}`; a string is sent as text/html (non-JSON 5xx pages). */
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
}

export interface ModeFailurePlan {
  /**
   * - `timeout`: read the request, never answer (socket held until the client gives up or stop()).
   * - `reset`: destroy the socket after reading the body, without answering.
   * - `accept-then-hang`: create the message (uuid, callbacks) but never answer: ambiguous outcome.
   */
  mode: 'timeout' | 'reset' | 'accept-then-hang';
  delayMs?: number;
}

/** A slow but otherwise normal answer. */
export interface DelayPlan {
  delayMs: number;
}

export type FailurePlan = StatusFailurePlan | ModeFailurePlan | DelayPlan;

export type RecordedResponse = { status: number; body: unknown } | 'timeout' | 'reset';

export interface RecordedRequest {
  at: Date;
  method: string;
  /** Path as received, query string included. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON or form body; the raw text when it could not be parsed; undefined when empty. */
  body: unknown;
  authorized: boolean;
  response: RecordedResponse;
  /** Set when the message was created (202, delayed 202 or accept-then-hang): first uuid. */
  messageUuid?: string;
  /** One uuid per destination (`dst` may list several joined with `<`). */
  messageUuids?: string[];
}

export type CallbackStatus = 'queued' | 'sent' | 'delivered' | 'failed';

export interface CallbackAttempt {
  at: Date;
  url: string;
  method: 'GET' | 'POST';
  params: Record<string, string>;
  /** HTTP status of the receiver's answer, or 'error' (network error, timeout, abort). */
  status: number | 'error';
  /** 1 for the first try, 2.. for retries. */
  attempt: number;
  error?: string;
}

export interface InboundMessage {
  url: string;
  from: string;
  to: string;
  text?: string;
  mediaUrls?: string[];
  /** Defaults to `mms` when mediaUrls is non-empty, else `sms`. */
  type?: 'mms' | 'sms';
  method?: 'GET' | 'POST';
}

// ---------------------------------------------------------------------------------------------
// Plivo constants
// ---------------------------------------------------------------------------------------------

const MESSAGE_ROUTE = /^\/v1\/Account\/([^/]+)\/Message\/?$/;
const ACCOUNT_ROUTE = /^\/v1\/Account\/([^/]+)(\/|$)/;
const DST_PATTERN = /^\+?\d{8,15}$/;
const MAX_MMS_ATTACHMENTS = 10;
const MAX_MMS_TEXT_CHARS = 1600;
const CALLBACK_TIMEOUT_MS = 8000; // Plivo gives up on a callback after 8 s without a reply
const DEFAULT_CALLBACK_DELAY_MS = 100;
const DEFAULT_RETRY_DELAYS_MS = [1000, 2000, 4000]; // Plivo: 60 s, 120 s, 240 s; shortened for the sandbox
/** A destination ending in this fails like an invalid number (error 50). */
const FAILING_DST_SUFFIX = '0000';
const INVALID_DESTINATION_ERROR = '50';
/** Number a Powerpack "picks" when the request has no src. */
const SANDBOX_POOL_NUMBER = '14155550100';
const RATE = '0.02000';

interface OutboundMessage {
  uuid: string;
  src: string;
  dst: string;
  type: string;
  powerpackUuid?: string;
  callbackUrl?: string;
  callbackMethod: 'GET' | 'POST';
  createdAt: Date;
  sentAt?: Date;
}

type ParsedBody =
  { ok: true; value: Record<string, unknown> | undefined } | { ok: false; raw: string };

type Validation = { ok: true; messages: OutboundMessage[] } | { ok: false; error: string };

/** What the simulator decided to do with one request. */
type Outcome =
  | { kind: 'answer'; status: number; body: unknown; headers?: Record<string, string> }
  | { kind: 'timeout' }
  | { kind: 'reset' };

// ---------------------------------------------------------------------------------------------
// Simulator
// ---------------------------------------------------------------------------------------------

export class PlivoSimulator {
  /** Every request received, rejected ones included, in arrival order. */
  requests: RecordedRequest[] = [];
  /** Every status-callback attempt, retries included. */
  callbacks: CallbackAttempt[] = [];

  private readonly authId: string;
  private readonly authToken: string;
  private readonly callbackDelayMs: number;
  private readonly retryDelaysMs: number[];
  private readonly log: (msg: string) => void;

  private server?: Server;
  private url?: string;
  private plans: FailurePlan[] = [];
  private latencyMs = 0;
  private callbacksRunning = 0;
  /** Callback timers: cleared by reset() and stop(). */
  private readonly callbackTimers = new Set<NodeJS.Timeout>();
  /** Delayed-answer timers: cleared by stop() only, so reset() never strands a waiting client. */
  private readonly answerTimers = new Set<NodeJS.Timeout>();
  /** Aborts in-flight callback fetches on reset()/stop(). */
  private callbackAbort = new AbortController();
  /** Bumped by reset()/stop() so callback chains started earlier stop scheduling. */
  private epoch = 0;

  private readonly inboundUrl?: string;

  constructor(options: PlivoSimulatorOptions) {
    this.authId = options.authId;
    this.authToken = options.authToken;
    this.callbackDelayMs = options.callbackDelayMs ?? DEFAULT_CALLBACK_DELAY_MS;
    this.retryDelaysMs = options.callbackRetryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.log = options.log ?? (() => undefined);
    this.inboundUrl = options.inboundUrl;
  }

  /** Requests that created a message: answered 202 (possibly late) or accept-then-hang. */
  get sentMessages(): RecordedRequest[] {
    return this.requests.filter((r) => r.messageUuid !== undefined);
  }

  get baseUrl(): string {
    if (!this.url) throw new Error('PlivoSimulator is not started');
    return this.url;
  }

  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    if (this.server) return this.baseUrl;
    const server = createServer((req, res) => {
      const handled =
        req.url?.split('?')[0] === '/sandbox/inbound'
          ? this.handleSandboxInbound(req, res)
          : this.handle(req, res);
      handled.catch((err: unknown) => {
        this.log(`plivo-simulator: request handling failed: ${String(err)}`);
        if (!res.headersSent) deliver(req, res, errorAnswer(500, 'simulator error'));
      });
    });
    // Longer than the SDK's keep-alive agent keeps idle sockets (30 s): otherwise a request can
    // go out on a socket we are closing, and fail with a reset that looks like an ambiguous send.
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const { port: actualPort } = server.address() as AddressInfo;
    this.url = `http://${urlHost(host)}:${actualPort}`;
    this.log(`plivo-simulator listening on ${this.url}`);
    return this.url;
  }

  async stop(): Promise<void> {
    this.cancelCallbacks();
    for (const timer of this.answerTimers) clearTimeout(timer);
    this.answerTimers.clear();
    const server = this.server;
    this.server = undefined;
    this.url = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Held ('timeout', 'accept-then-hang') and keep-alive sockets would keep close() waiting forever.
    server.closeAllConnections();
    await closed;
  }

  /** Clears records, failure plans, latency and pending callbacks. */
  reset(): void {
    this.requests = [];
    this.callbacks = [];
    this.plans = [];
    this.latencyMs = 0;
    this.cancelCallbacks();
  }

  /** Queue `plan` for the next `times` Message requests (one plan consumed per request). */
  failNext(plan: FailurePlan, times = 1): void {
    for (let i = 0; i < times; i++) this.plans.push(plan);
  }

  /** Extra latency added to every answer (benchmarks). */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** Polls until `predicate` returns a truthy value, which it resolves to. */
  async waitFor<T>(
    predicate: (sim: PlivoSimulator) => T,
    timeoutMs = 2000,
    pollMs = 5,
  ): Promise<NonNullable<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = predicate(this);
      if (value) return value as NonNullable<T>;
      if (Date.now() >= deadline)
        throw new Error(`PlivoSimulator.waitFor: condition not met within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  /**
   * Sends a signed inbound-message webhook like Plivo's `message_url` request (form POST by
   * default) and resolves to the HTTP status it got; rejects on network errors (no retries).
   */
  async sendInbound(inbound: InboundMessage): Promise<number> {
    const mediaUrls = inbound.mediaUrls ?? [];
    const type = inbound.type ?? (mediaUrls.length > 0 ? 'mms' : 'sms');
    const params: Record<string, string> = {
      MessageUUID: randomUUID(),
      From: inbound.from,
      To: inbound.to,
      Type: type,
      Units: '1',
      TotalRate: '0.00000',
      TotalAmount: '0.00000',
    };
    // Plivo puts MMS text in `Body` and SMS text in `Text`.
    if (type === 'mms') {
      params.Body = inbound.text ?? '';
      params.MediaCount = String(mediaUrls.length);
      mediaUrls.forEach((url, i) => (params[`Media${i}`] = url));
    } else {
      params.Text = inbound.text ?? '';
    }
    const status = await this.postSigned(
      inbound.url,
      inbound.method ?? 'POST',
      params,
      AbortSignal.any([this.callbackAbort.signal, AbortSignal.timeout(CALLBACK_TIMEOUT_MS)]),
    );
    this.log(`inbound ${type} ${params.MessageUUID} → ${inbound.url}: ${status}`);
    return status;
  }

  // -------------------------------------------------------------------------------------------
  // Request handling
  // -------------------------------------------------------------------------------------------

  /** `POST /sandbox/inbound {from, to?, text?, mediaUrls?, type?}` → a signed inbound webhook. */
  private async handleSandboxInbound(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST') return reply(405, { error: 'POST only' });
    if (!this.inboundUrl) return reply(404, { error: 'no inbound URL configured' });
    const parsed = parseBody(await readBody(req), req.headers['content-type']);
    const body = (parsed.ok ? parsed.value : {}) as Record<string, unknown>;
    if (typeof body.from !== 'string')
      return reply(400, { error: 'from (the sender number) is required' });
    const mediaUrls = Array.isArray(body.mediaUrls)
      ? body.mediaUrls.filter((u): u is string => typeof u === 'string')
      : [];
    const webhookStatus = await this.sendInbound({
      url: this.inboundUrl,
      from: body.from,
      to: typeof body.to === 'string' ? body.to : '+14155550100',
      text: typeof body.text === 'string' ? body.text : undefined,
      mediaUrls,
      type: body.type === 'sms' ? 'sms' : 'mms',
    });
    reply(200, { delivered: webhookStatus >= 200 && webhookStatus < 300, webhookStatus });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = new Date();
    let raw: string;
    try {
      raw = await readBody(req);
    } catch {
      return; // client went away mid-body: nothing to answer, nothing worth recording
    }
    const path = req.url ?? '/';
    const pathname = path.split('?')[0];
    const parsed = parseBody(raw, req.headers['content-type']);
    const record: RecordedRequest = {
      at,
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      body: parsed.ok ? parsed.value : parsed.raw,
      authorized: this.isAuthorized(req.headers.authorization, ACCOUNT_ROUTE.exec(pathname)?.[1]),
      response: 'timeout',
    };

    const isMessageRoute = MESSAGE_ROUTE.test(pathname);
    const plan = isMessageRoute ? this.plans.shift() : undefined;
    const outcome = this.decide(record, parsed, isMessageRoute, plan);
    record.response =
      outcome.kind === 'answer' ? { status: outcome.status, body: outcome.body } : outcome.kind;
    this.requests.push(record);
    this.log(
      `${record.method} ${path} → ${describe(record.response)}${record.messageUuid ? ` ${record.messageUuid}` : ''}`,
    );

    const delayMs = this.latencyMs + (plan?.delayMs ?? 0);
    if (delayMs > 0) {
      const timer = setTimeout(() => {
        this.answerTimers.delete(timer);
        deliver(req, res, outcome);
      }, delayMs);
      this.answerTimers.add(timer);
    } else {
      deliver(req, res, outcome);
    }
  }

  private decide(
    record: RecordedRequest,
    parsed: ParsedBody,
    isMessageRoute: boolean,
    plan?: FailurePlan,
  ): Outcome {
    // Injected transport failures win over everything: they model the network or Plivo's edge.
    if (plan && 'status' in plan) return planAnswer(plan);
    if (plan && 'mode' in plan && plan.mode !== 'accept-then-hang') return { kind: plan.mode };

    const outcome = this.process(record, parsed, isMessageRoute);
    // The ambiguous case: the message exists (uuid, callbacks) but the client never learns it.
    if (plan && 'mode' in plan) return { kind: 'timeout' };
    return outcome;
  }

  private process(record: RecordedRequest, parsed: ParsedBody, isMessageRoute: boolean): Outcome {
    if (!isMessageRoute) return errorAnswer(404, 'not found');
    if (!record.authorized) return errorAnswer(401, 'Authentication failed');
    if (record.method !== 'POST') return errorAnswer(405, 'Method Not Allowed');
    if (!parsed.ok) return errorAnswer(400, 'invalid request body: expected JSON or form data');

    const validation = validateSend(parsed.value ?? {});
    if (!validation.ok) return errorAnswer(400, validation.error);

    for (const message of validation.messages) this.scheduleLifecycle(message);
    record.messageUuids = validation.messages.map((m) => m.uuid);
    record.messageUuid = record.messageUuids[0];
    return {
      kind: 'answer',
      status: 202,
      body: {
        api_id: randomUUID(),
        message: 'message(s) queued',
        message_uuid: record.messageUuids,
      },
    };
  }

  private isAuthorized(header: string | undefined, pathAuthId: string | undefined): boolean {
    if (pathAuthId !== undefined && pathAuthId !== this.authId) return false;
    const expected = `Basic ${Buffer.from(`${this.authId}:${this.authToken}`).toString('base64')}`;
    return header === expected;
  }

  // -------------------------------------------------------------------------------------------
  // Status callbacks
  // -------------------------------------------------------------------------------------------

  private scheduleLifecycle(message: OutboundMessage): void {
    if (!message.callbackUrl) return;
    const final: CallbackStatus = message.dst.endsWith(FAILING_DST_SUFFIX) ? 'failed' : 'delivered';
    const steps: CallbackStatus[] = ['queued', 'sent', final];
    const epoch = this.epoch;

    // Each step waits for the previous first attempt so that, even with a 0 ms delay, the receiver
    // sees them in order; retries run on their own timers, so (like on Plivo) a retried `queued`
    // may arrive after `sent` and receivers must order by Sequence.
    const runStep = async (index: number): Promise<void> => {
      const status = steps[index];
      if (status === 'sent') message.sentAt = new Date();
      await this.sendCallback(message, callbackParams(message, status, index + 1), 1, epoch);
      if (index + 1 < steps.length && epoch === this.epoch) {
        this.scheduleCallback(() => runStep(index + 1), this.callbackDelayMs);
      }
    };
    this.scheduleCallback(() => runStep(0), this.callbackDelayMs);
  }

  private async sendCallback(
    message: OutboundMessage,
    params: Record<string, string>,
    attempt: number,
    epoch: number,
  ): Promise<void> {
    const url = message.callbackUrl as string;
    const method = message.callbackMethod;
    let status: number | 'error';
    let error: string | undefined;
    try {
      const signal = AbortSignal.any([
        this.callbackAbort.signal,
        AbortSignal.timeout(CALLBACK_TIMEOUT_MS),
      ]);
      status = await this.postSigned(url, method, params, signal);
    } catch (err) {
      status = 'error';
      error = err instanceof Error ? err.message : String(err);
    }
    if (epoch !== this.epoch) return; // reset()/stop() happened meanwhile: forget this message
    this.callbacks.push({ at: new Date(), url, method, params, status, attempt, error });
    this.log(
      `callback ${params.Status} #${attempt} ${message.uuid} → ${url}: ${status}${error ? ` (${error})` : ''}`,
    );

    // Plivo retries a callback that got a non-2xx or no answer, up to 3 times.
    const isSuccess = typeof status === 'number' && status >= 200 && status < 300;
    const retryDelay = this.retryDelaysMs[attempt - 1];
    if (!isSuccess && retryDelay !== undefined) {
      this.scheduleCallback(
        () => this.sendCallback(message, params, attempt + 1, epoch),
        retryDelay,
      );
    }
  }

  /** Sends form data (POST) or a query string (GET), signed with X-Plivo-Signature-V3. */
  private async postSigned(
    url: string,
    method: 'GET' | 'POST',
    params: Record<string, string>,
    signal: AbortSignal,
  ): Promise<number> {
    const nonce = randomNonce();
    // Signed over the exact callback URL, its own query string included (validators use the URL they were called on).
    const signature = computeV3Signature({ method, url, params, nonce, authToken: this.authToken });
    const headers: Record<string, string> = {
      'X-Plivo-Signature-V3': signature,
      'X-Plivo-Signature-V3-Nonce': nonce,
      'User-Agent': 'PlivoHTTP/1.0 (sandbox simulator)',
    };
    let target = url;
    let body: string | undefined;
    if (method === 'GET') {
      target = withQuery(url, params);
    } else {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(params).toString();
    }
    const response = await fetch(target, { method, headers, body, signal });
    await response.arrayBuffer().catch(() => undefined); // drain so the connection can be reused
    return response.status;
  }

  /** Timer whose callback can never throw or leave an unhandled rejection. */
  private scheduleCallback(fn: () => Promise<void>, ms: number): void {
    const timer = setTimeout(() => {
      this.callbackTimers.delete(timer);
      this.callbacksRunning++;
      fn()
        .catch((err: unknown) => this.log(`callback timer failed: ${String(err)}`))
        .finally(() => this.callbacksRunning--);
    }, ms);
    this.callbackTimers.add(timer);
  }

  /** Status callbacks scheduled or being delivered (retries included): 0 once all settled. */
  get pendingCallbacks(): number {
    return this.callbackTimers.size + this.callbacksRunning;
  }

  private cancelCallbacks(): void {
    this.epoch++;
    for (const timer of this.callbackTimers) clearTimeout(timer);
    this.callbackTimers.clear();
    this.callbackAbort.abort();
    this.callbackAbort = new AbortController();
  }
}

// ---------------------------------------------------------------------------------------------
// Send Message validation (Plivo's 400s)
// ---------------------------------------------------------------------------------------------

function validateSend(body: Record<string, unknown>): Validation {
  const src = optionalString(body.src);
  const powerpackUuid = optionalString(body.powerpack_uuid);
  const dstField = optionalString(body.dst);
  const text = body.text === undefined || body.text === null ? undefined : String(body.text);
  const type = optionalString(body.type) ?? 'sms';
  const callbackUrl = optionalString(body.url);
  const method = (optionalString(body.method) ?? 'POST').toUpperCase();
  const mediaUrls = stringList(body.media_urls);
  const mediaIds = stringList(body.media_ids);

  if (!src && !powerpackUuid)
    return invalid('Neither of src or powerpack_uuid present, either one is required');
  if (src && powerpackUuid)
    return invalid('Either of src or powerpack_uuid, both of them are present');
  if (!dstField) return invalid('dst is required');
  const destinations = dstField.split('<'); // several destinations are joined with '<'
  const badDst = destinations.find((d) => !DST_PATTERN.test(d));
  if (badDst !== undefined) return invalid(`invalid dst: ${badDst}`);
  if (!['sms', 'mms', 'whatsapp'].includes(type))
    return invalid(`invalid type: ${type}; should be sms, mms or whatsapp`);
  if (method !== 'GET' && method !== 'POST')
    return invalid(`invalid method: ${method}; should be GET or POST`);
  if (callbackUrl !== undefined && !isHttpUrl(callbackUrl))
    return invalid(`invalid url: ${callbackUrl}`);

  if (type === 'mms') {
    if (mediaUrls.length + mediaIds.length === 0)
      return invalid('media_urls or media_ids is required for mms');
    if (mediaUrls.length + mediaIds.length > MAX_MMS_ATTACHMENTS) {
      return invalid(
        `too many media attachments: at most ${MAX_MMS_ATTACHMENTS} media_urls and media_ids are allowed`,
      );
    }
    const badMedia = mediaUrls.find((u) => !isHttpUrl(u));
    if (badMedia !== undefined) return invalid(`invalid media_urls: ${badMedia}`);
    if (text !== undefined && [...text].length > MAX_MMS_TEXT_CHARS) {
      return invalid(`text exceeds ${MAX_MMS_TEXT_CHARS} characters`);
    }
  } else if (type === 'sms' && !text) {
    return invalid('text is required for sms');
  }

  const createdAt = new Date();
  const messages = destinations.map<OutboundMessage>((dst) => ({
    uuid: randomUUID(),
    src: src ?? SANDBOX_POOL_NUMBER,
    dst,
    type,
    powerpackUuid,
    callbackUrl,
    callbackMethod: method,
    createdAt,
  }));
  return { ok: true, messages };
}

function invalid(error: string): Validation {
  return { ok: false, error };
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function callbackParams(
  message: OutboundMessage,
  status: CallbackStatus,
  sequence: number,
): Record<string, string> {
  const params: Record<string, string> = {
    MessageUUID: message.uuid,
    ParentMessageUUID: message.uuid, // single-part messages are their own parent
    PartInfo: '1 of 1',
    To: message.dst,
    From: message.src,
    Type: message.type,
    Status: status,
    Sequence: String(sequence),
    Units: '1',
    TotalRate: RATE,
    TotalAmount: RATE,
    MCC: '310',
    MNC: '004',
    MessageTime: plivoTime(message.createdAt),
    QueuedTime: plivoTime(message.createdAt),
  };
  if (message.powerpackUuid) params.PowerpackUUID = message.powerpackUuid;
  if (message.sentAt) params.SentTime = plivoTime(message.sentAt);
  if (status === 'delivered' || status === 'failed')
    params.DeliveryReportTime = plivoTime(new Date());
  // Plivo only sends ErrorCode with failed/undelivered.
  if (status === 'failed') params.ErrorCode = INVALID_DESTINATION_ERROR;
  return params;
}

function deliver(req: IncomingMessage, res: ServerResponse, outcome: Outcome): void {
  if (outcome.kind === 'timeout') return; // hold the socket: stop() or the client ends it
  if (outcome.kind === 'reset') {
    req.socket.destroy();
    return;
  }
  if (res.writableEnded || res.destroyed) return; // the client already gave up
  const isText = typeof outcome.body === 'string';
  const payload = isText ? (outcome.body as string) : JSON.stringify(outcome.body);
  res.writeHead(outcome.status, {
    'Content-Type': isText ? 'text/html; charset=utf-8' : 'application/json',
    ...outcome.headers,
  });
  res.end(payload);
}

function planAnswer(plan: StatusFailurePlan): Outcome {
  const body =
    plan.body !== undefined
      ? plan.body
      : { api_id: randomUUID(), error: STATUS_CODES[plan.status] ?? 'error' };
  return { kind: 'answer', status: plan.status, body, headers: plan.headers };
}

function errorAnswer(status: number, error: string): Outcome {
  return { kind: 'answer', status, body: { api_id: randomUUID(), error } };
}

function describe(response: RecordedResponse): string {
  return typeof response === 'string' ? response : String(response.status);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The SDK sends JSON; Plivo also takes form data. Repeated form keys become arrays. */
function parseBody(raw: string, contentType: string | undefined): ParsedBody {
  if (raw.trim() === '') return { ok: true, value: undefined };
  const isForm = (contentType ?? '').includes('application/x-www-form-urlencoded');
  if (!isForm) {
    try {
      const value: unknown = JSON.parse(raw);
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        return { ok: true, value: value as Record<string, unknown> };
      }
    } catch {
      // fall through
    }
    return { ok: false, raw };
  }
  const value: Record<string, string | string[]> = {};
  for (const [key, item] of new URLSearchParams(raw)) {
    const existing = value[key];
    value[key] =
      existing === undefined ? item : [...(Array.isArray(existing) ? existing : [existing]), item];
  }
  return { ok: true, value };
}

function optionalString(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return String(value);
}

/** media_urls / media_ids: a JSON array (what the SDK sends) or a comma-separated string (the docs). */
function stringList(value: unknown): string[] {
  const items = Array.isArray(value)
    ? value.map(String)
    : typeof value === 'string'
      ? value.split(',')
      : [];
  return items.map((s) => s.trim()).filter((s) => s !== '');
}

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

/** Appends by string, not via `new URL()`, so the signed part of the URL reaches the receiver byte for byte. */
function withQuery(url: string, params: Record<string, string>): string {
  const base = url.split('#')[0];
  const separator = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  return `${base}${separator}${new URLSearchParams(params).toString()}`;
}

/** Plivo's timestamp format: `YYYY-mm-dd HH:MM:SS.SSSSSS`, UTC. */
function plivoTime(date: Date): string {
  return `${date.toISOString().replace('T', ' ').replace('Z', '')}000`;
}

/** Plivo nonces are 20 decimal digits. */
function randomNonce(): string {
  let nonce = String(randomInt(1, 10));
  while (nonce.length < 20) nonce += String(randomInt(0, 10));
  return nonce;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
